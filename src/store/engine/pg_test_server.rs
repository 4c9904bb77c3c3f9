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
    /// data need not survive a crash) and starts it on 127.0.0.1.
    pub(crate) fn start() -> PgServer {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        let port = free_port();
        let server = PgServer {
            bin,
            port,
            as_postgres,
            dir,
        };
        let data = server.dir.path().join("data");
        let mut init = server.command("initdb");
        init.arg("-D").arg(&data);
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
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.dir.path().display()
        );
        let mut start = server.command("pg_ctl");
        start.arg("-D").arg(&data).arg("-o").arg(opts);
        start.arg("-l").arg(server.log_path());
        start.args(["-w", "-t", "60", "start"]);
        let out = start.output().unwrap();
        if !out.status.success() {
            let log = std::fs::read_to_string(server.log_path()).unwrap_or_default();
            panic!(
                "pg_ctl start failed: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        server
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

    fn url_of(&self, db: &str) -> String {
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
        stop.arg("-D").arg(self.dir.path().join("data"));
        stop.args(["-m", "fast", "-w", "stop"]);
        // A failed stop leaves a server to find in the log; dropping must not panic.
        let _ = stop.output();
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
