"""The file stores' upload and download speed against a plain copy of the same bytes, and their memory.

Not a test: it prints figures. Usage::

    python benchmarks/files.py [--mb N]

For the folder store (``FolderFileStore`` in a temporary folder) and the S3 store (``S3FileStore`` on a moto
server this script starts in its own process), with a stream of N MB (default 200: a PDF header, then zeros,
made as it is read):

* upload: ``put`` (1 MiB chunks into a temporary file, SHA-256, sniffing, fsync, rename or upload) against the
  baseline of copying the same bytes to the same place — ``shutil.copyfileobj`` into a file in the same
  folder, then fsync; for S3 a plain boto3 ``upload_fileobj`` of the stream;
* download: ``open`` and read in 1 MiB chunks, against reading the baseline's copy the same way (a plain file;
  for S3 boto3's ``get_object`` body read in 1 MiB chunks);
* memory: the tracemalloc peak and the growth of ru_maxrss during one ``put`` and one full read, measured in a
  child process (so that nothing this process allocated earlier counts).

The figures that matter are the ratios store/baseline, measured in one run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402

from infrastructure.files.local import FolderFileStore  # noqa: E402
from infrastructure.files.s3 import S3FileStore  # noqa: E402

MIB = 1 << 20
BUCKET = "onething-bench"
KEYS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}


class PdfStream(io.RawIOBase):
    """``size`` bytes: a PDF header unique to this stream (so no two runs share a digest), then zeros."""

    def __init__(self, size: int) -> None:
        self.head = f"%PDF-1.7\n%{uuid.uuid4().hex}\n".encode()
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        head, self.head = self.head[:n], self.head[n:]
        buffer[: len(head)] = head
        buffer[len(head): n] = bytes(n - len(head))
        self.left -= n
        return n


def stream(size: int) -> io.BufferedReader:
    return io.BufferedReader(PdfStream(size), buffer_size=MIB)


def read_all(source: Any) -> None:
    with source:
        while source.read(MIB):
            pass


def timed(job: Callable[[], Any]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def folder_figures(size: int, folder: Path) -> dict[str, float]:
    store = FolderFileStore(folder / "files")
    stored: list[str] = []
    put = timed(lambda: stored.append(store.put(stream(size), size).sha256))
    baseline_path = store.root / "baseline"

    def copy() -> None:
        with baseline_path.open("wb") as out:
            shutil.copyfileobj(stream(size), out, MIB)
            out.flush()
            os.fsync(out.fileno())

    base_put = timed(copy)
    get = timed(lambda: read_all(store.open(stored[0])))
    base_get = timed(lambda: read_all(baseline_path.open("rb")))
    return {"put": put, "base_put": base_put, "get": get, "base_get": base_get}


def s3_figures(size: int, endpoint: str, spool: Path) -> dict[str, float]:
    client = boto3.client("s3", endpoint_url=endpoint, **KEYS)
    store = S3FileStore(BUCKET, "bench", client, spool_dir=spool)
    stored: list[str] = []
    put = timed(lambda: stored.append(store.put(stream(size), size).sha256))
    base_put = timed(lambda: client.upload_fileobj(stream(size), BUCKET, "baseline"))
    get = timed(lambda: read_all(store.open(stored[0])))

    def plain_get() -> None:
        for _ in client.get_object(Bucket=BUCKET, Key="baseline")["Body"].iter_chunks(MIB):
            pass

    # download_fileobj's parallel ranged GETs were 20× slower on moto (each range re-reads the object there),
    # so the baseline is boto3's plain streaming GET
    base_get = timed(plain_get)
    return {"put": put, "base_put": base_put, "get": get, "base_get": base_get}


def child_memory(kind: str, size: int, place: str) -> dict[str, float]:
    """In this (child) process: the tracemalloc peak and ru_maxrss growth of one put and one full read."""
    if kind == "folder":
        store: FolderFileStore | S3FileStore = FolderFileStore(place)
    else:
        store = S3FileStore(BUCKET, "memory", boto3.client("s3", endpoint_url=place, **KEYS),
                            spool_dir=tempfile.gettempdir())
        store.stat("0" * 64)  # boto3 loads what it loads once before the measurement
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    sha256 = store.put(stream(size), size).sha256
    put_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    read_all(store.open(sha256))
    read_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"put_peak": put_peak / MIB, "read_peak": read_peak / MIB, "rss_growth": (after - before) / 1024,
            "rss": after / 1024}


def memory(kind: str, size: int, place: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--mb", str(size // MIB), "--place", place],
                          capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def moto_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            boto3.client("s3", endpoint_url=endpoint, **KEYS).create_bucket(Bucket=BUCKET)
            return server, endpoint
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the moto server did not start")


def report(label: str, size: int, times: dict[str, float], mem: dict[str, float]) -> None:
    mb = size / MIB
    print(f"{label}:")
    pairs = (("upload", times["put"], times["base_put"]), ("download", times["get"], times["base_get"]))
    for what, ours, base in pairs:
        print(f"  {what:8} {mb / ours:8.1f} MB/s   baseline {mb / base:8.1f} MB/s   ratio {base / ours:5.2f}")
    print(f"  memory   put peak {mem['put_peak']:.1f} MB, read peak {mem['read_peak']:.1f} MB (tracemalloc); "
          f"ru_maxrss grew {mem['rss_growth']:.1f} MB (to {mem['rss']:.0f} MB, mostly the imports)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the file in MB (default 200)")
    parser.add_argument("--child", choices=["folder", "s3"], help=argparse.SUPPRESS)
    parser.add_argument("--place", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.mb * MIB
    if args.child:
        print(json.dumps(child_memory(args.child, size, args.place)))
        return
    print(f"{args.mb} MB, PDF-headed; ratio = baseline time / store time (1.00: as fast as a plain copy)")
    with tempfile.TemporaryDirectory(prefix="onething-bench-files-") as work:
        folder = Path(work)
        report("folder store", size, folder_figures(size, folder), memory("folder", size, str(folder / "mem")))
        server, endpoint = moto_server()
        try:
            spool = folder / "spool"
            spool.mkdir()
            report("S3 store (moto server, own process)", size, s3_figures(size, endpoint, spool),
                   memory("s3", size, endpoint))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
