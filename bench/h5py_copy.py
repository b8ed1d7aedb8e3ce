"""Rewrites megflow's generated h5 files through h5py, the writer of the real
data, so that `deno task bench` measures both megflow and the Python reference
on h5py-written files (contiguous float64, h5py's default layout and metadata).

    python3 bench/h5py_copy.py SRC_DIR DST_DIR [RELATIVE_PATH ...]

Copies SRC_DIR/RELATIVE_PATH to DST_DIR/RELATIVE_PATH (every *.h5 under SRC_DIR
when no path is given): each dataset with `create_dataset(name, data=array)`
and the root attributes. A file whose copy already exists is skipped; each
copy is written to a temporary name first and then renamed, so an interrupted
run never leaves a half-written file. Prints one JSON line: files copied,
skipped, seconds.
"""

import json
import os
import sys
import time
from pathlib import Path

import h5py


def copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    with h5py.File(src, "r") as fin, h5py.File(tmp, "w") as fout:
        for key, value in fin.attrs.items():
            fout.attrs[key] = value
        for name in fin:
            fout.create_dataset(name, data=fin[name][()])
    os.replace(tmp, dst)


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src_root, dst_root = Path(sys.argv[1]), Path(sys.argv[2])
    paths = sys.argv[3:] or [str(p.relative_to(src_root)) for p in sorted(src_root.rglob("*.h5"))]
    started = time.perf_counter()
    copied = skipped = 0
    for relative in paths:
        dst = dst_root / relative
        if dst.exists():
            skipped += 1
            continue
        copy_file(src_root / relative, dst)
        copied += 1
    print(json.dumps({"copied": copied, "skipped": skipped, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
