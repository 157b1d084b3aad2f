# Shared by the benchmark scripts: free loopback ports, waiting for a server to listen, reading wrk's output.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; exit 1; }
# The number of requests a wrk run reports (its output on stdin).
requests() { awk '/requests in/ {print $1}'; }
