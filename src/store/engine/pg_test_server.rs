//! A real PostgreSQL server for tests, started from Debian's `postgresql` package in a
//! temporary directory on a free port, stopped on drop. One server can hold many tests'
//! data: each takes a fresh database from `fresh_database`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server; `drop` stops it and removes its files.
pub(crate) struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The server refuses to run as root, so then every server command runs as the
    /// `postgres` user, which owns the directory.
    as_postgres: bool,
}

impl PgServer {
    /// Initialises a cluster (superuser `charla`, trust authentication, no fsync: test
    /// data need not survive a crash of the machine) and starts it on 127.0.0.1.
    pub(crate) fn start() -> PgServer {
        let server = PgServer::unstarted();
        let mut init = server.command("initdb");
        init.arg("-D").arg(server.data());
        init.args([
            "-A",
            "trust",
            "-U",
            "charla",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ]);
        run(&mut init);
        server.pg_start();
        server
    }

    /// As `start`, but serving TLS only: `ssl = on` with a certificate for `localhost` and
    /// 127.0.0.1 from a CA made for the test (`ca_path`), and a `pg_hba.conf` that admits
    /// TCP clients over TLS alone (`hostssl`): user `charla` trusted, user `scram`
    /// (password `scram-pw`) by SCRAM-SHA-256, so channel binding can be tested.
    #[allow(dead_code)] // for the TLS tests (engine::postgres)
    pub(crate) fn start_tls() -> PgServer {
        let server = PgServer::start();
        server.make_certificates();
        let data = server.data();
        let tls = server.dir.path().join("tls");
        let conf = format!(
            "\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            tls.join("server.crt").display(),
            tls.join("server.key").display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all scram 127.0.0.1/32 scram-sha-256\n\
             hostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        server.sql(
            "postgres",
            "SET password_encryption = 'scram-sha-256'; \
             CREATE ROLE scram LOGIN SUPERUSER PASSWORD 'scram-pw'",
        );
        server.sql("postgres", "SELECT pg_reload_conf()");
        // The reload is asynchronous: wait until the server reports TLS on.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while server.sql("postgres", "SHOW ssl") != "on" {
            assert!(
                std::time::Instant::now() < deadline,
                "the server never turned TLS on"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        server
    }

    /// The test CA that signed a `start_tls` server's certificate (PEM).
    #[allow(dead_code)] // for the TLS tests (engine::postgres)
    pub(crate) fn ca_path(&self) -> PathBuf {
        self.dir.path().join("tls").join("ca.pem")
    }

    /// The port the server listens on.
    #[allow(dead_code)] // for the TLS tests (engine::postgres)
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// A CA and a server certificate (ECDSA P-256) for `localhost` and 127.0.0.1 in
    /// `<dir>/tls`, the key owned by the server's user with mode 0600 (PostgreSQL
    /// refuses a key others can read).
    fn make_certificates(&self) {
        let tls = self.dir.path().join("tls");
        std::fs::create_dir_all(&tls).unwrap();
        let openssl = |args: &[&str]| {
            run(Command::new("openssl").current_dir(&tls).args(args));
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Charla test CA",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=localhost",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            tls.join("server.ext"),
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n\
             basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        use std::os::unix::fs::PermissionsExt;
        let key = tls.join("server.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        if self.as_postgres {
            run(Command::new("chown").arg("-R").arg("postgres:").arg(&tls));
        }
    }

    /// A server with a directory and a port, but no cluster yet.
    fn unstarted() -> PgServer {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        PgServer {
            bin,
            port: free_port(),
            as_postgres,
            dir,
        }
    }

    /// The cluster's data directory.
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the cluster in `data()` on this server's port, and waits until it is up.
    fn pg_start(&self) {
        // Tests run in parallel on one server, each with its own pool of connections.
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.dir.path().display()
        );
        let mut start = self.command("pg_ctl");
        start.arg("-D").arg(self.data()).arg("-o").arg(opts);
        start.arg("-l").arg(self.log_path());
        start.args(["-w", "-t", "60", "start"]);
        let out = start.output().unwrap();
        if !out.status.success() {
            let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            panic!(
                "pg_ctl start failed: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Stops the server as a crash would (`pg_ctl stop -m immediate`: no checkpoint, no
    /// goodbye to clients or standbys).
    #[allow(dead_code)] // for the failover test (tests/it)
    pub(crate) fn stop_immediately(&self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D").arg(self.data());
        stop.args(["-m", "immediate", "-w", "stop"]);
        run(&mut stop);
    }

    /// Promotes a standby to a primary (`pg_ctl promote`), waiting until it accepts writes.
    #[allow(dead_code)] // for the failover test (tests/it)
    pub(crate) fn promote(&self) {
        let mut promote = self.command("pg_ctl");
        promote.arg("-D").arg(self.data());
        promote.args(["-w", "-t", "60", "promote"]);
        run(&mut promote);
    }

    /// Runs one SQL statement in `db` with psql; returns its unaligned output, trimmed.
    pub(crate) fn sql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-U", "charla", "-X", "-A", "-t", "-p"])
            .arg(self.port.to_string())
            .args(["-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// For a server kept in a static (never dropped): a watcher process stops it and
    /// removes its files once this process has ended, however it ends.
    // The watcher outlives this process by design; nobody waits for it.
    #[allow(clippy::zombie_processes)]
    pub(crate) fn stop_when_process_exits(&self) {
        let script = "pid=$1; dir=$2; shift 2; \
                      while kill -0 \"$pid\" 2>/dev/null; do sleep 0.5; done; \
                      \"$@\" >/dev/null 2>&1; rm -rf \"$dir\"";
        let mut watch = Command::new("sh");
        watch.args(["-c", script, "sh"]);
        watch
            .arg(std::process::id().to_string())
            .arg(self.dir.path());
        if self.as_postgres {
            watch.args(["runuser", "-u", "postgres", "--"]);
        }
        watch
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data());
        watch.args(["-m", "immediate", "-w", "stop"]);
        watch
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        watch.spawn().expect("cannot start the PostgreSQL watcher");
    }

    /// The URL of the server's default database.
    pub(crate) fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// Creates an empty database and returns its URL.
    pub(crate) fn fresh_database(&self) -> String {
        let name = format!("t_{:016x}", rand::random::<u64>());
        let mut create = Command::new(self.bin.join("createdb"));
        create.args(["-h", "127.0.0.1", "-U", "charla", "-p"]);
        create.arg(self.port.to_string()).arg(&name);
        run(&mut create);
        self.url_of(&name)
    }

    /// The URL of database `db` on this server.
    pub(crate) fn url_of(&self, db: &str) -> String {
        format!("postgres://charla@127.0.0.1:{}/{db}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D").arg(self.data());
        stop.args(["-m", "fast", "-w", "stop"]);
        // A failed stop leaves a server to find in the log; dropping must not panic.
        let _ = stop.output();
    }
}

/// A primary and a synchronous streaming standby: the standby is a `pg_basebackup -R`
/// of the primary on its own port, and the primary has `synchronous_standby_names =
/// '*'` and `synchronous_commit = on`, so a commit returns only once the standby has
/// flushed it. The standby has no standby of its own: once promoted, it commits alone.
#[allow(dead_code)] // for the failover test (tests/it)
pub(crate) struct PgReplicaSet {
    pub(crate) primary: PgServer,
    pub(crate) standby: PgServer,
}

#[allow(dead_code)] // for the failover test (tests/it)
impl PgReplicaSet {
    /// Starts both and waits until the standby streams synchronously.
    pub(crate) fn start() -> PgReplicaSet {
        let primary = PgServer::start();
        let standby = PgServer::unstarted();
        let mut backup = standby.command("pg_basebackup");
        backup.arg("-D").arg(standby.data());
        backup.args([
            "-h",
            "127.0.0.1",
            "-U",
            "charla",
            "-R",
            "-X",
            "stream",
            "-p",
        ]);
        backup.arg(primary.port.to_string());
        run(&mut backup);
        standby.pg_start();
        // Only now: the base backup must not carry these to the standby.
        primary.sql(
            "postgres",
            "ALTER SYSTEM SET synchronous_standby_names = '*'",
        );
        primary.sql("postgres", "ALTER SYSTEM SET synchronous_commit = 'on'");
        primary.sql("postgres", "SELECT pg_reload_conf()");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let state = primary.sql("postgres", "SELECT sync_state FROM pg_stat_replication");
            if state == "sync" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the standby never became synchronous (pg_stat_replication: {state:?})"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        PgReplicaSet { primary, standby }
    }
}

/// The newest installed server's binaries (`/usr/lib/postgresql/<version>/bin`).
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .max();
    match newest {
        Some(v) if root.join(format!("{v}/bin/initdb")).exists() => root.join(format!("{v}/bin")),
        _ => panic!("PostgreSQL is not installed: apt-get install postgresql"),
    }
}

/// `/proc/self` belongs to the process's effective user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Appends `text` to the file at `path`.
fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn run(c: &mut Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
