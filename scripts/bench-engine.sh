#!/usr/bin/env bash
# Native engine vs RocksDB's db_bench, same machine, same run, same workload: 1M random keys of
# 16 bytes with 100-byte values, WAL on, no sync, no compression. Prints ops/s and ratios and
# writes the table to docs/benchmarks.md (section "Engine vs RocksDB").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
num="${BENCH_NUM:-1000000}"
benchmarks=fillrandom,readrandom,seekrandom,overwrite
work="$(mktemp -d /tmp/edgestate-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "bench: building the engine's db_bench (release)" >&2
(cd wasm && cargo build --quiet --release --example db_bench)

echo "bench: RocksDB $(dpkg-query -W -f='${Version}' rocksdb-tools) db_bench, $num keys" >&2
db_bench --benchmarks="$benchmarks" --num="$num" --key_size=16 --value_size=100 \
  --compression_type=none --db="$work/rocksdb" --threads=1 --histogram=false >"$work/rocksdb.txt" 2>&1
echo "bench: edgestate, $num keys" >&2
wasm/target/release/examples/db_bench --db="$work/edgestate" --num="$num" --benchmarks="$benchmarks" >"$work/edgestate.txt"

ops() { awk -v b="$2" '$1 == b { for (i = 1; i <= NF; i++) if ($(i+1) == "ops/sec" || $(i+1) == "ops/sec;") { print $i; exit } }' "$1"; }
table="| benchmark | edgestate ops/s | RocksDB ops/s | ratio |
| --- | ---: | ---: | ---: |"
for b in ${benchmarks//,/ }; do
  e="$(ops "$work/edgestate.txt" "$b")"; r="$(ops "$work/rocksdb.txt" "$b")"
  ratio="$(awk -v e="$e" -v r="$r" 'BEGIN { if (r > 0) printf "%.2f×", e / r; else print "n/a" }')"
  table+=$'\n'"| $b | $e | $r | $ratio |"
done
echo "$table"

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
section="## Engine vs RocksDB (native, single-threaded)

Measured $(date -u +%Y-%m-%d) on $machine. $num random 16-byte keys, 100-byte values,
WAL on, no sync, no compression; \`scripts/bench-engine.sh\` (\`npm run bench\`). Ratio =
edgestate / RocksDB 7.8.3 \`db_bench\`, both run one after the other on the same disk.

$table
"
mkdir -p docs
python3 - "$section" <<'PY'
import sys, pathlib, re
path = pathlib.Path("docs/benchmarks.md")
text = path.read_text() if path.exists() else "# Benchmarks\n\nNumbers are ratios measured in one run on one machine; absolute values vary with the machine's load.\n\n"
section = sys.argv[1]
pattern = re.compile(r"## Engine vs RocksDB.*?(?=\n## |\Z)", re.S)
text = pattern.sub(section.strip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
path.write_text(text)
PY
echo "bench: wrote docs/benchmarks.md" >&2
