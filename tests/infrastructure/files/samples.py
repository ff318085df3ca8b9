"""Real minimal files of each accepted type (and a few that must be refused), and lazy large streams."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")
MINIMAL_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a"
    "1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f"
    "0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d0102"
    "0300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738"
    "393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3"
    "a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9"
    "faffda0008010100003f00fbd3ffd9")


def minimal_png() -> bytes:
    """A 1×1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))


def zip_of(names: dict[str, bytes]) -> bytes:
    """A ZIP archive holding ``names``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


def minimal_ofd() -> bytes:
    """An OFD container: OFD.xml at the root, one document."""
    return zip_of({"OFD.xml": b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
                              b'Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
                              b'</ofd:DocBody></ofd:OFD>',
                   "Doc_0/Document.xml": b"<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"/>"})


class LazyPdf(io.RawIOBase):
    """A PDF header then zeros, ``size`` bytes in all, made as it is read (never held in memory)."""

    def __init__(self, size: int, fill: bytes = b"\0") -> None:
        self.left = size
        self.head = b"%PDF-1.7\n"
        self.fill = fill

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 (a writable buffer)
        n = min(len(buffer), self.left)
        if n <= 0:
            return 0
        head, self.head = self.head[:n], self.head[n:]
        buffer[:len(head)] = head
        buffer[len(head):n] = self.fill * (n - len(head))
        self.left -= n
        return n


def lazy_pdf(size: int) -> io.BufferedReader:
    """A readable binary stream of ``size`` bytes, PDF-headed."""
    return io.BufferedReader(LazyPdf(size), buffer_size=1 << 16)

