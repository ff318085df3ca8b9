"""Bundle files: the sample catalogue shipped with OneThing, or a file given by path."""
