// --help text of the `collector` command.
export const HELP = `Usage:
  collector [serve] [options]                 run the pixel collector (the default command)
  collector export --segment <name> --format csv|ndjson [--out <file>] [options]
                                              write a segment's live members (opt-out checked again)
  collector sender-key --sender <siteId>      issue a bulk API key to a sender: prints {"key","hash"};
                                              the sender gets the key, the config keeps only the hash
  collector --help

Pixels (answered before Express, identical whatever happens to the token):
  GET|POST /pixel/conversion?uid2_token=<token>[&segment=<name>]   tracking pixel  -> 200 GIF / 204
  GET|POST /pixel/impression?uid2_token=<token>[&segment=<name>]   creative pixel  -> 200 GIF / 204
  503 + Retry-After (nothing kept, send again) while no event can be made durable: sharing keys not
  loaded or all expired, or the segment store not committing.
Bulk API (Bearer <sender key>; JSON {"tokens":[...]} or NDJSON {"token":...} lines; gzip accepted):
  POST /share/v1/segments/<segment>/tokens    -> 200 {"received","written","held","rejected":[{"index","reason"}]}
Dropped files: <drop root>/<siteId>/<segment>/<name>.csv|.ndjson|.jsonl[.gz] -> <name>.report.json beside it
Other routes: /healthz /readyz /metrics /status (live charts) /admin/segments[/<name>[/export?format=csv|ndjson]]
  /metrics and /status.json need the admin token unless protectStatus is false
  [COLLECTOR_PROTECT_STATUS=false]; open the status page as /status#token=<admin token>.

Options (each also settable in the JSON config file; environment variable in brackets):
  --config <file>              JSON config file [COLLECTOR_CONFIG]. Without one (and NODE_ENV not
                               production) the development config config/dev.json is used
  --host <addr>                listen address (default 127.0.0.1) [COLLECTOR_HOST]
  --port <n>                   listen port (default 8090; 0 = any free port) [COLLECTOR_PORT]
  --public-url <url>           the URL browsers open, as the log line says it (default
                               http://localhost:<port> on a loopback address) [COLLECTOR_PUBLIC_URL]
  --data-dir <path>            data directory; the embedded store lives in <path>/segments
                               (default .data/collector) [COLLECTOR_DATA_DIR]
  --workers <n>                HTTP worker processes; 1 = single process, 0 = one per core
                               (default 1) [COLLECTOR_WORKERS]
  --decrypt-threads <n>        threads per process that decrypt bulk batches (API requests, file
                               chunks) beside the main thread; 0 = on the main thread (default:
                               cores / processes - 1, 1 to 4) [COLLECTOR_DECRYPT_THREADS]
  --operator-url <url>         UID2 operator (default http://127.0.0.1:8080) [COLLECTOR_OPERATOR_URL]
  --store file|redis|redis-cluster   segment store (default file) [COLLECTOR_STORE]
  --redis-url <url>            redis://host:port for --store redis [COLLECTOR_REDIS_URL]
  --redis-nodes <h:p,h:p,...>  cluster nodes for --store redis-cluster [COLLECTOR_REDIS_NODES]
  --membership-ttl-days <n>    how long a membership lasts after its last event (default 30)
                               [COLLECTOR_MEMBERSHIP_TTL_DAYS]
  --drops off|dir|s3            ingest dropped token files (default off) [COLLECTOR_DROPS]
  --drops-dir <path>           drop directory for --drops dir (default <data-dir>/drops) [COLLECTOR_DROPS_DIR]
  --drops-s3-bucket <name>     bucket for --drops s3 [COLLECTOR_DROPS_S3_BUCKET]; credentials from the
                               AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles)
  --drops-s3-endpoint <url>    an S3-compatible endpoint (path-style: drops.s3.forcePathStyle in the
                               config file) [COLLECTOR_DROPS_S3_ENDPOINT]
  --log-level <level>          fatal|error|warn|info|debug|trace|silent (default info) [COLLECTOR_LOG_LEVEL]
  -h, --help                   show this help

Secrets are read from the config file or the environment only, never from flags:
  COLLECTOR_OPERATOR_API_KEY, COLLECTOR_OPERATOR_SECRET   the collector's own operator credentials
  COLLECTOR_ADMIN_TOKEN                                   Bearer token of /admin (32+ characters)

Tuning (environment only):
  COLLECTOR_HEAP_GROWING_PERCENT   V8 heap growing factor in percent (default 50, i.e. 1.5x, keeps a
                                   streamed file's peak memory low; 0 = V8's own default)

Export options:
  --segment <name>             the segment to export (required)
  --format csv|ndjson          output format (required)
  --out <file>                 write here, owner-only (0600); default stdout. Progress goes to stderr.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.
`;
