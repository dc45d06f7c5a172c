#!/bin/sh
# check-fleet.sh - end to end on 127.0.0.1: a program writing its report
# every second as OpenMetrics into a textfile directory, Debian's
# prometheus-node-exporter (textfile collector only) exporting it, Debian's
# prometheus scraping that every second, and PromQL over Prometheus' HTTP
# API giving back the program's exact numbers. Free ports, temporary
# storage, bounded waits; every process started is stopped by its pid.
# Usage: tests/fleet/check-fleet.sh PREFIX   (memstats installed there)
# Exit 0 passed, 1 failed, 77 skipped (the packages are not installed).
set -u
prefix=$1
for c in prometheus prometheus-node-exporter python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "check-fleet: $c not installed"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/memstats-fleet.XXXXXX")
pids=
stop() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap stop EXIT
fail() { echo "check-fleet: $*"; for f in "$T"/*.log; do echo "--- $f"; tail -5 "$f"; done; exit 1; }

"$prefix/bin/memstats-cc" -O2 -g "$(dirname "$0")/fleet.c" -o "$T/fleet" >"$T/cc.log" 2>&1 || fail "cannot build fleet.c"
set -- $(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
np=$1 pp=$2
mkdir -p "$T/textfile"
timeout -k 5 120 prometheus-node-exporter --web.listen-address="127.0.0.1:$np" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$T/textfile" >"$T/node-exporter.log" 2>&1 &
pids="$pids $!"
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: memstats
    static_configs:
      - targets: ['127.0.0.1:$np']
YML
timeout -k 5 120 prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$pp" >"$T/prometheus.log" 2>&1 &
pids="$pids $!"
MEMSTATS_FORMAT=openmetrics MEMSTATS_TRACK=1 MEMSTATS_INTERVAL=1 MEMSTATS_OUTPUT="$T/textfile/memstats-%p.prom" \
	timeout -k 5 90 "$T/fleet" "$T/stop" >"$T/fleet.log" 2>&1 &
pids="$pids $!"

# ask QUERY until its one answer is WANT (30 s at most); print it
python3 - "$pp" <<'PY' || fail "PromQL did not give the program's numbers"
import json, sys, time, urllib.parse, urllib.request
port = sys.argv[1]
def query(q):
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())["data"]["result"]
checks = (('memstats_bytes_total{program="fleet",op="malloc",func="big"}', 12000.0),
          ('memstats_live_bytes{program="fleet",op="malloc",func="big"}', 12000.0),
          ('memstats_live_blocks{program="fleet",op="malloc",func="big"}', 3.0))
for q, want in checks:
    end, got = time.time() + 30, None
    while time.time() < end:
        try:
            res = query(q)
            got = [float(r["value"][1]) for r in res]
            if got == [want]:
                print("ok   - PromQL %s = %g (labels %s)" % (q, want, res[0]["metric"].get("site")))
                break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        print("PromQL %s: %r, expected [%g]" % (q, got, want))
        sys.exit(1)
q = 'topk(3, sum by (site) (rate(memstats_bytes_total{program="fleet",site!=""}[1m])))'
end = time.time() + 30
while time.time() < end:
    res = query(q)
    if res and float(res[0]["value"][1]) > 0:
        print("ok   - PromQL %s: %s" % (q, ", ".join("%s %.1f B/s" % (r["metric"]["site"], float(r["value"][1])) for r in res)))
        sys.exit(0)
    time.sleep(0.5)
print("PromQL %s: no positive rate" % q)
sys.exit(1)
PY
touch "$T/stop"
