"""E-licences (电子证照): a certificate's GB/T 36903 metadata, signed so that anyone can check it offline."""
