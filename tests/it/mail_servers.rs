//! Real mail servers for the email-channel tests, each a child process on 127.0.0.1
//! with its own temporary directory:
//!
//! - [`Dovecot`]: Dovecot's IMAP server (Debian `dovecot-imapd`) with a standalone
//!   config. Any user name logs in with [`IMAP_PASSWORD`] and gets its own maildir.
//!   Helpers put mail in (IMAP `APPEND`, returning `APPENDUID`), mark it `\Seen`,
//!   expunge it, and force a UIDVALIDITY change the way real servers do.
//! - [`SmtpSink`]: an aiosmtpd SMTP server (`tests/support/smtp_sink.py`) that keeps
//!   every message with its envelope, refuses recipients starting with `reject` (550)
//!   or `tempfail` (451), and can be stopped and started again on the same port.
//!
//! The tests that use them are `#[ignore]`d with a reason so a plain `cargo test` works
//! without these programs; `./scripts/test` installs them and runs everything.
//! Both start in well under a second; dropping a [`Dovecot`] waits about a second for
//! its master process to exit.
//!
//! ```ignore
//! let dovecot = Dovecot::start();                    // any user, password IMAP_PASSWORD
//! let (uidvalidity, uid) = dovecot.append("shop", "INBOX", eml).await;
//! dovecot.set_seen("shop", uid).await;               // as another client would
//! let new_validity = dovecot.reset_uidvalidity("shop").await; // renumbers from UID 1
//!
//! let mut smtp = SmtpSink::start();                  // or start_with_auth(user, pass)
//! // ... point the app at 127.0.0.1:smtp.port(), no TLS ...
//! let got = smtp.wait_for(1, Duration::from_secs(10)).await;
//! assert_eq!(got[0].rcpt_tos(), ["carla@example.org"]);
//! smtp.stop();    // connections refused ("SMTP down")
//! smtp.restart(); // same port, earlier messages kept
//! ```
//!
//! Dovecot notes: a wrong password is answered after up to 0.5 s (Dovecot checks its
//! failure queue twice a second even with `auth_failure_delay = 0`), and the per-IP
//! auth penalty is off, so later logins from 127.0.0.1 are not slowed down. As root,
//! mail processes run as `nobody` (Dovecot refuses uid 0 for mail).
//!
//! Overrides: `DOVECOT`, `DOVEADM` (binaries), `CHARLA_TEST_PYTHON` (an interpreter
//! that can `import aiosmtpd`).
#![allow(dead_code)]

use async_imap::Session;
use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{RequestId, Response, ResponseCode, Status};
use futures_util::TryStreamExt;
use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// The password of every IMAP user of a [`Dovecot`].
pub(crate) const IMAP_PASSWORD: &str = "secret";

/// How long to wait for a server to start or answer before failing the test.
const PATIENCE: Duration = Duration::from_secs(15);

/// How many times to try again when a freshly picked port was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// A free port on 127.0.0.1 (bound to port 0 and released; the caller retries if
/// someone else takes it before the server binds it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn bin(env: &str, default: &str, fallback: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| {
        if Path::new(default).exists() {
            default.into()
        } else {
            fallback.into()
        }
    })
}

/// Runs a future with a deadline; a server that stops answering fails the test.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {PATIENCE:?}"))
}

/// `id ARGS`, trimmed.
fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().expect("run `id`");
    assert!(out.status.success(), "id {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Who the mail processes run as. Dovecot refuses uid 0 for mail access ("userdb
/// returned 0 as uid"), so as root they run as `nobody`; otherwise every Dovecot
/// process runs as the current user.
struct MailIds {
    root: bool,
    uid: u32,
    gid: u32,
    /// The current user and group (used for Dovecot's own processes when not root).
    user: String,
    group: String,
}

fn mail_ids() -> &'static MailIds {
    static IDS: OnceLock<MailIds> = OnceLock::new();
    IDS.get_or_init(|| {
        let root = id(&["-u"]) == "0";
        let (uid, gid) = if root {
            (id(&["-u", "nobody"]), id(&["-g", "nobody"]))
        } else {
            (id(&["-u"]), id(&["-g"]))
        };
        MailIds {
            root,
            uid: uid.parse().unwrap(),
            gid: gid.parse().unwrap(),
            user: id(&["-un"]),
            group: id(&["-gn"]),
        }
    })
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Sends SIGTERM (std only has SIGKILL) and waits up to `grace` for the process to
/// exit, then kills it.
fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------
// Dovecot
// ---------------------------------------------------------------------------------

/// A Dovecot IMAP server (`dovecot -F`) on 127.0.0.1, stopped and deleted on drop.
///
/// Any user name logs in with [`IMAP_PASSWORD`]; its mail is a maildir under the
/// temporary directory. Helpers open a fresh IMAP connection each time, so they never
/// hold the mailbox selected while the code under test polls it.
pub(crate) struct Dovecot {
    child: Child,
    port: u16,
    imaps_port: Option<u16>,
    conf: PathBuf,
    mail_root: PathBuf,
    // Last field: removed after `drop` has stopped the server.
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Plain IMAP (no TLS) on a free port.
    pub(crate) fn start() -> Dovecot {
        Self::launch(false)
    }

    /// Also TLS: STARTTLS on [`port`](Self::port) and implicit TLS on
    /// [`imaps_port`](Self::imaps_port), with a self-signed certificate for
    /// `localhost` and `127.0.0.1` (see [`cert_pem_path`](Self::cert_pem_path)).
    /// Plain-text login stays allowed on `port`.
    pub(crate) fn start_tls() -> Dovecot {
        Self::launch(true)
    }

    fn launch(tls: bool) -> Dovecot {
        let bin = bin("DOVECOT", "/usr/sbin/dovecot", "dovecot");
        let ids = mail_ids();
        for attempt in 1..=PORT_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("charla-dovecot-")
                .tempdir()
                .unwrap();
            let d = dir.path();
            let token = d.file_name().unwrap().to_string_lossy().into_owned();
            let mail_root = d.join("mail");
            for sub in ["run", "state", "mail"] {
                fs::create_dir(d.join(sub)).unwrap();
            }
            if ids.root {
                use std::os::unix::fs::PermissionsExt;
                // The mail processes (nobody) must reach their maildirs.
                fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
                std::os::unix::fs::chown(&mail_root, Some(ids.uid), Some(ids.gid)).unwrap();
            }
            let port = free_port();
            let imaps_port = if tls {
                make_cert(d);
                Some(free_port())
            } else {
                None
            };
            let conf = d.join("dovecot.conf");
            fs::write(
                &conf,
                dovecot_conf(d, &mail_root, port, imaps_port, &token, ids),
            )
            .unwrap();
            let child = Command::new(&bin)
                .arg("-F")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(d.join("stderr.log")).unwrap())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start `{bin}` ({e}); install dovecot-imapd or run ./scripts/test"
                    )
                });
            let mut dovecot = Dovecot {
                child,
                port,
                imaps_port,
                conf,
                mail_root,
                dir,
            };
            match dovecot.wait_ready(&token) {
                Ok(()) => return dovecot,
                Err(log) if log.contains("Address already in use") && attempt < PORT_ATTEMPTS => {
                    continue;
                }
                Err(log) => panic!("dovecot did not start (port {port}):\n{log}"),
            }
        }
        unreachable!()
    }

    /// Waits until the server greets with our own token (not some other server that
    /// took the port); on failure returns the logs.
    fn wait_ready(&mut self, token: &str) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("dovecot exited ({status})\n{}", self.log()));
            }
            if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut greeting = Vec::new();
                let mut buf = [0u8; 512];
                while !greeting.ends_with(b"\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => greeting.extend_from_slice(&buf[..n]),
                    }
                }
                let greeting = String::from_utf8_lossy(&greeting);
                if greeting.starts_with("* OK") && greeting.contains(token) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Err(format!("no greeting within {PATIENCE:?}\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The IMAP port (plain text; STARTTLS too with [`start_tls`](Self::start_tls)).
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The implicit-TLS (IMAPS) port, with [`start_tls`](Self::start_tls).
    pub(crate) fn imaps_port(&self) -> Option<u16> {
        self.imaps_port
    }

    /// The self-signed certificate (PEM) of [`start_tls`](Self::start_tls): trust it
    /// as a root to verify the server as `localhost` or `127.0.0.1`.
    pub(crate) fn cert_pem_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The same certificate, DER-encoded.
    pub(crate) fn cert_der(&self) -> Vec<u8> {
        fs::read(self.dir.path().join("cert.der")).expect("cert.der (use Dovecot::start_tls)")
    }

    /// The config file (for `doveadm -c`).
    pub(crate) fn conf_path(&self) -> &Path {
        &self.conf
    }

    /// Dovecot's log and stderr so far (print it when a test fails).
    pub(crate) fn log(&self) -> String {
        let d = self.dir.path();
        format!(
            "--- dovecot.log ---\n{}--- stderr ---\n{}",
            read_lossy(&d.join("dovecot.log")),
            read_lossy(&d.join("stderr.log"))
        )
    }

    /// Runs `doveadm -c CONF ARGS` and returns its stdout; panics when it fails.
    pub(crate) async fn doveadm(&self, args: &[&str]) -> String {
        let doveadm = bin("DOVEADM", "/usr/bin/doveadm", "doveadm");
        let out = within(
            "doveadm",
            tokio::process::Command::new(&doveadm)
                .arg("-c")
                .arg(&self.conf)
                .args(args)
                .stdin(Stdio::null())
                .output(),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot run `{doveadm}`: {e}"));
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A logged-in IMAP session for `user` (greeting read before LOGIN), for checks
    /// the helpers below do not cover. Log out when done.
    pub(crate) async fn login(&self, user: &str) -> Session<tokio::net::TcpStream> {
        let tcp = within(
            "IMAP connect",
            tokio::net::TcpStream::connect(("127.0.0.1", self.port)),
        )
        .await
        .expect("connect to dovecot");
        let mut client = async_imap::Client::new(tcp);
        within("IMAP greeting", client.read_response())
            .await
            .expect("read greeting")
            .expect("no IMAP greeting");
        within("IMAP LOGIN", client.login(user, IMAP_PASSWORD))
            .await
            .map_err(|(e, _)| e)
            .unwrap_or_else(|e| panic!("IMAP LOGIN {user}: {e}"))
    }

    /// Appends a message to `folder` (created if missing) of `user`'s mailbox and
    /// returns its `(UIDVALIDITY, UID)` from the server's `APPENDUID`.
    pub(crate) async fn append(&self, user: &str, folder: &str, eml: &[u8]) -> (u32, u32) {
        self.append_with_flags(user, folder, eml, "").await
    }

    /// [`append`](Self::append) with flags, e.g. `"(\\Seen)"` for mail another client
    /// has already read.
    pub(crate) async fn append_with_flags(
        &self,
        user: &str,
        folder: &str,
        eml: &[u8],
        flags: &str,
    ) -> (u32, u32) {
        let mut s = self.login(user).await;
        if !folder.eq_ignore_ascii_case("INBOX") {
            // Fails harmlessly when the folder exists.
            let _ = within("IMAP CREATE", s.create(folder)).await;
        }
        // async-imap's `append` drops the APPENDUID code, so APPEND by hand.
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" {flags}")
        };
        let cmd = format!("APPEND {}{flags} {{{}}}", quoted(folder), eml.len());
        let tag = within("IMAP APPEND", s.run_command(&cmd))
            .await
            .expect("send APPEND");
        loop {
            let r = within("IMAP APPEND", s.read_response())
                .await
                .expect("read")
                .expect("connection closed during APPEND");
            match r.parsed() {
                Response::Continue { .. } => break,
                Response::Done {
                    tag: t, outcome, ..
                } if *t == tag => panic!("APPEND to {folder} refused: {outcome:?}"),
                _ => {}
            }
        }
        {
            let tcp = s.get_mut();
            within("IMAP APPEND", async {
                tcp.write_all(eml).await?;
                tcp.write_all(b"\r\n").await?;
                tcp.flush().await
            })
            .await
            .expect("send message");
        }
        let ids = done(&mut s, &tag, "APPEND", |code| match code {
            Some(ResponseCode::AppendUid(validity, uids)) => match uids.first() {
                Some(UidSetMember::Uid(uid)) => Some((*validity, *uid)),
                Some(UidSetMember::UidRange(r)) => Some((*validity, *r.start())),
                None => None,
            },
            _ => None,
        })
        .await
        .expect("APPEND answered without APPENDUID");
        let _ = within("IMAP LOGOUT", s.logout()).await;
        ids
    }

    /// Sets `\Seen` on message `uid` in `user`'s INBOX, as another mail client would.
    pub(crate) async fn set_seen(&self, user: &str, uid: u32) {
        let mut s = self.login(user).await;
        within("IMAP SELECT", s.select("INBOX"))
            .await
            .expect("SELECT INBOX");
        within("IMAP UID STORE", async {
            s.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await
        .expect("UID STORE \\Seen");
        let _ = within("IMAP LOGOUT", s.logout()).await;
    }

    /// Deletes every message in `user`'s INBOX (STORE \Deleted + EXPUNGE).
    pub(crate) async fn expunge_all(&self, user: &str) {
        let mut s = self.login(user).await;
        let mbox = within("IMAP SELECT", s.select("INBOX"))
            .await
            .expect("SELECT INBOX");
        if mbox.exists > 0 {
            within("IMAP UID STORE", async {
                s.uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await
            .expect("UID STORE \\Deleted");
            within("IMAP EXPUNGE", async {
                s.expunge().await?.try_collect::<Vec<_>>().await
            })
            .await
            .expect("EXPUNGE");
        }
        let _ = within("IMAP LOGOUT", s.logout()).await;
    }

    /// How many messages `user`'s INBOX holds.
    pub(crate) async fn count(&self, user: &str) -> usize {
        self.examine(user).await.exists as usize
    }

    /// The UIDVALIDITY of `user`'s INBOX.
    pub(crate) async fn uidvalidity(&self, user: &str) -> u32 {
        self.examine(user).await.uid_validity.expect("UIDVALIDITY")
    }

    /// The UIDs in `user`'s INBOX, ascending.
    pub(crate) async fn uids(&self, user: &str) -> Vec<u32> {
        let mut s = self.login(user).await;
        within("IMAP EXAMINE", s.examine("INBOX"))
            .await
            .expect("EXAMINE INBOX");
        let mut uids: Vec<u32> = within("IMAP UID SEARCH", s.uid_search("ALL"))
            .await
            .expect("UID SEARCH")
            .into_iter()
            .collect();
        uids.sort_unstable();
        let _ = within("IMAP LOGOUT", s.logout()).await;
        uids
    }

    async fn examine(&self, user: &str) -> async_imap::types::Mailbox {
        let mut s = self.login(user).await;
        let mbox = within("IMAP EXAMINE", s.examine("INBOX"))
            .await
            .expect("EXAMINE INBOX");
        let _ = within("IMAP LOGOUT", s.logout()).await;
        mbox
    }

    /// Forces a UIDVALIDITY change of `user`'s INBOX the way a server whose index was
    /// lost or rebuilt (or a migration) does it: `user`'s sessions are disconnected,
    /// the index is deleted, and Dovecot rebuilds it with a new UIDVALIDITY and the same
    /// messages renumbered from UID 1 (so old UIDs now name other messages). Returns
    /// the new UIDVALIDITY.
    pub(crate) async fn reset_uidvalidity(&self, user: &str) -> u32 {
        let before = self.uidvalidity(user).await;
        let maildir = self.mail_root.join(user).join("Maildir");
        // A client that reconnects between the kick and the deletion can write the old
        // index back; then do it again.
        for _ in 0..5 {
            self.kick(user).await;
            for entry in fs::read_dir(&maildir).expect("user's maildir") {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == "dovecot-uidlist"
                    || name.starts_with("dovecot.index")
                    || name.starts_with("dovecot.list.index")
                {
                    let _ = fs::remove_file(entry.path());
                }
            }
            let after = self.uidvalidity(user).await;
            if after != before {
                return after;
            }
        }
        panic!("UIDVALIDITY of {user} did not change\n{}", self.log());
    }

    /// Sets the UIDVALIDITY of `user`'s INBOX to `value` and keeps every UID (what
    /// `doveadm mailbox update --uid-validity` does).
    pub(crate) async fn set_uidvalidity(&self, user: &str, value: u32) {
        self.kick(user).await;
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            user,
            "--uid-validity",
            &value.to_string(),
            "INBOX",
        ])
        .await;
    }

    /// Disconnects `user`'s IMAP sessions and waits until they are gone.
    pub(crate) async fn kick(&self, user: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let who = self.doveadm(&["who", "-1", user]).await;
            if !who
                .lines()
                .skip(1)
                .any(|l| l.starts_with(&format!("{user} ")))
            {
                return;
            }
            assert!(Instant::now() < deadline, "{user} still connected:\n{who}");
            // Exits 68 ("no users kicked") when the session ended meanwhile.
            let _ = tokio::process::Command::new(bin("DOVEADM", "/usr/bin/doveadm", "doveadm"))
                .arg("-c")
                .arg(&self.conf)
                .args(["kick", user])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // The master needs about a second to stop its children after SIGTERM.
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// Reads responses until the tagged one for `tag`; it must be OK. Returns what `pick`
/// finds in its response code.
async fn done<T>(
    s: &mut Session<tokio::net::TcpStream>,
    tag: &RequestId,
    what: &str,
    pick: impl Fn(&Option<ResponseCode<'_>>) -> Option<T>,
) -> Option<T> {
    loop {
        let r = within(what, s.read_response())
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("connection closed during {what}"));
        if let Response::Done {
            tag: t,
            status,
            outcome,
        } = r.parsed()
            && t == tag
        {
            assert_eq!(*status, Status::Ok, "{what} failed: {outcome:?}");
            return pick(&outcome.code);
        }
    }
}

/// An IMAP quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A self-signed certificate for localhost / 127.0.0.1 (EC P-256, not a CA, so
/// rustls accepts it as a trusted end-entity certificate): cert.pem, cert.der, key.pem.
fn make_cert(d: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(d)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run openssl ({e}); install openssl or run ./scripts/test")
            });
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
    ]);
    run(&[
        "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
    ]);
}

/// A standalone dovecot.conf (no includes).
fn dovecot_conf(
    d: &Path,
    mail_root: &Path,
    port: u16,
    imaps_port: Option<u16>,
    token: &str,
    ids: &MailIds,
) -> String {
    let d = d.display();
    let mail = mail_root.display();
    let ssl = match imaps_port {
        Some(_) => format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem"),
        None => "ssl = no".into(),
    };
    // As root the master stays root and the login/internal processes use the
    // dovenull/dovecot users the package created; otherwise all run as the caller.
    let users = if ids.root {
        String::new()
    } else {
        format!(
            "default_login_user = {}\ndefault_internal_user = {}\ndefault_internal_group = {}",
            ids.user, ids.user, ids.group
        )
    };
    let (uid, gid) = (ids.uid, ids.gid);
    let imaps_port = imaps_port.unwrap_or(0);
    format!(
        r#"# Written by tests/it/mail_servers.rs for one test; deleted with it.
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = charla-test-{port}
log_path = {d}/dovecot.log
login_greeting = Charla test IMAP {token} ready.
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
{users}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{mail}/%u/Maildir
passdb {{
  driver = static
  args = password={IMAP_PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
  # No growing delay for an IP after failed logins (a test may try a wrong password).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"#
    )
}

// ---------------------------------------------------------------------------------
// SMTP sink
// ---------------------------------------------------------------------------------

/// The Python interpreter that can import aiosmtpd (Debian's python3-aiosmtpd lives
/// in /usr/bin/python3, which may not be the first `python3` on PATH).
fn python() -> &'static str {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        let mut candidates: Vec<String> = std::env::var("CHARLA_TEST_PYTHON").into_iter().collect();
        candidates.extend(["/usr/bin/python3".into(), "python3".into()]);
        candidates
            .iter()
            .find(|py| {
                Command::new(py)
                    .args(["-c", "import aiosmtpd"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "none of {candidates:?} can import aiosmtpd; install python3-aiosmtpd or run ./scripts/test"
                )
            })
    })
}

const SINK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");

/// Recipients whose address starts with this are refused with
/// `550 5.1.1 <addr>: mailbox unavailable`.
pub(crate) const REJECT_PREFIX: &str = "reject";
/// Recipients whose address starts with this are refused with
/// `451 4.3.0 <addr>: try again later`.
pub(crate) const TEMPFAIL_PREFIX: &str = "tempfail";

/// An aiosmtpd SMTP server on 127.0.0.1 that keeps every message it accepts; killed
/// on drop. No TLS; with [`start_with_auth`](Self::start_with_auth) it requires AUTH
/// PLAIN/LOGIN over plain text.
pub(crate) struct SmtpSink {
    port: u16,
    auth: Option<(String, String)>,
    child: Option<Child>,
    // Last field: removed after `drop` has killed the server.
    dir: tempfile::TempDir,
}

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub(crate) struct SmtpMessage {
    /// `{"mail_from", "rcpt_tos": [..], "mail_options": [..], "peer", "helo",
    /// "auth_login", "received"}`
    pub envelope: serde_json::Value,
    /// The DATA as sent.
    pub raw: Vec<u8>,
}

impl SmtpMessage {
    pub(crate) fn mail_from(&self) -> &str {
        self.envelope["mail_from"].as_str().unwrap_or_default()
    }

    pub(crate) fn rcpt_tos(&self) -> Vec<String> {
        self.envelope["rcpt_tos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The user name the client authenticated as, if it did.
    pub(crate) fn auth_login(&self) -> Option<&str> {
        self.envelope["auth_login"].as_str()
    }

    /// The raw message as (lossy) text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

impl SmtpSink {
    /// Accepts mail from anyone (no AUTH) on a free port.
    pub(crate) fn start() -> SmtpSink {
        Self::launch(None)
    }

    /// Requires AUTH PLAIN/LOGIN as `user`/`pass` (over plain text) before MAIL.
    pub(crate) fn start_with_auth(user: &str, pass: &str) -> SmtpSink {
        Self::launch(Some((user.to_string(), pass.to_string())))
    }

    fn launch(auth: Option<(String, String)>) -> SmtpSink {
        let dir = tempfile::Builder::new()
            .prefix("charla-smtp-")
            .tempdir()
            .unwrap();
        fs::create_dir(dir.path().join("mail")).unwrap();
        let mut sink = SmtpSink {
            port: 0,
            auth,
            child: None,
            dir,
        };
        for attempt in 1..=PORT_ATTEMPTS {
            sink.port = free_port();
            match sink.spawn() {
                Ok(child) => {
                    sink.child = Some(child);
                    return sink;
                }
                Err(log) if addr_in_use(&log) && attempt < PORT_ATTEMPTS => continue,
                Err(log) => panic!("the SMTP sink did not start:\n{log}"),
            }
        }
        unreachable!()
    }

    /// Starts the script on `self.port`; on failure returns its log.
    fn spawn(&self) -> Result<Child, String> {
        let log_path = self.dir.path().join("sink.log");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let py = python();
        let mut cmd = Command::new(py);
        cmd.arg(SINK_SCRIPT)
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(self.dir.path().join("mail"))
            // Exits by itself if this process dies without dropping the sink.
            .arg("--watch-stdin");
        if let Some((u, p)) = &self.auth {
            cmd.args(["--auth", &format!("{u}:{p}")]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{py} {SINK_SCRIPT}`: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(PATIENCE) {
            Ok(line) if line.starts_with("READY") => Ok(child),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("{other:?}\n{}", read_lossy(&log_path)))
            }
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server: connections to its port are refused until
    /// [`restart`](Self::restart). Messages received so far stay.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (numbering continues).
    pub(crate) fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.spawn() {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                Err(log) if addr_in_use(&log) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(log) => panic!(
                    "the SMTP sink did not restart on port {}:\n{log}",
                    self.port
                ),
            }
        }
    }

    /// Every message received so far, in order.
    pub(crate) fn messages(&self) -> Vec<SmtpMessage> {
        let mail = self.dir.path().join("mail");
        let mut names: Vec<String> = fs::read_dir(&mail)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".eml").map(String::from)
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|n| SmtpMessage {
                envelope: serde_json::from_slice(
                    &fs::read(mail.join(format!("{n}.json"))).unwrap(),
                )
                .unwrap(),
                raw: fs::read(mail.join(format!("{n}.eml"))).unwrap(),
            })
            .collect()
    }

    /// Waits until at least `n` messages have arrived and returns them all; panics
    /// after `timeout`.
    pub(crate) async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<SmtpMessage> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP sink got {} of {n} messages within {timeout:?}\n{}",
                got.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        read_lossy(&self.dir.path().join("sink.log"))
    }
}

fn addr_in_use(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("Errno 98")
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------
// The harness itself, against the real servers
// ---------------------------------------------------------------------------------

fn eml(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Carla Cliente <carla@example.org>\r\n\
         To: support@example.com\r\n\
         Subject: {subject}\r\n\
         Message-ID: <{}@example.org>\r\n\
         Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {body}\r\n",
        subject.replace(' ', "-")
    )
    .into_bytes()
}

/// `(uid, flags, body)` of every message in INBOX, fetched the way the poller will:
/// `UID FETCH 1:* (UID FLAGS BODY.PEEK[])` after reading the greeting.
async fn fetch_all(port: u16, user: &str) -> (u32, Vec<(u32, String, Vec<u8>)>) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    let mut s = client
        .login(user, IMAP_PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let mbox = s.select("INBOX").await.unwrap();
    let fetches: Vec<_> = s
        .uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut out: Vec<(u32, String, Vec<u8>)> = fetches
        .iter()
        .map(|f| {
            (
                f.uid.unwrap(),
                format!("{:?}", f.flags().collect::<Vec<_>>()),
                f.body().unwrap().to_vec(),
            )
        })
        .collect();
    out.sort_by_key(|m| m.0);
    s.logout().await.unwrap();
    (mbox.uid_validity.unwrap(), out)
}

#[tokio::test]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn mail_servers_work() {
    use lettre::message::Mailbox;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    // --- IMAP: Dovecot ---
    let t = Instant::now();
    let dovecot = Dovecot::start();
    eprintln!(
        "dovecot ready in {:?} on port {}",
        t.elapsed(),
        dovecot.port()
    );

    let (a, b) = (eml("first", "Hola uno"), eml("second", "Hola dos"));
    let (v1, uid_a) = dovecot.append("support", "INBOX", &a).await;
    let (v1b, uid_b) = dovecot.append("support", "INBOX", &b).await;
    assert_eq!((v1, uid_a, uid_b), (v1b, 1, 2));
    assert_eq!(dovecot.count("support").await, 2);
    assert_eq!(
        dovecot.count("someone-else").await,
        0,
        "one mailbox per user"
    );
    let (_, uid_other) = dovecot.append("support", "Archive", &a).await;
    assert_eq!(uid_other, 1, "another folder, created on demand");
    assert_eq!(dovecot.count("support").await, 2);

    let (validity, got) = fetch_all(dovecot.port(), "support").await;
    assert_eq!(validity, v1);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].0, &got[0].2),
        (uid_a, &a),
        "first body, byte for byte"
    );
    assert_eq!(
        (got[1].0, &got[1].2),
        (uid_b, &b),
        "second body, byte for byte"
    );
    assert!(
        !got[0].1.contains("Seen"),
        "BODY.PEEK[] does not set \\Seen"
    );

    dovecot.set_seen("support", uid_a).await;
    let (_, got) = fetch_all(dovecot.port(), "support").await;
    assert!(
        got[0].1.contains("Seen") && !got[1].1.contains("Seen"),
        "{got:?}"
    );

    // A wrong password is refused at once (auth_failure_delay = 0).
    let t = Instant::now();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot.port()))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    assert!(client.login("support", "wrong").await.is_err());
    assert!(
        t.elapsed() < Duration::from_millis(1900),
        "{:?}",
        t.elapsed()
    );
    // ... and the next login from 127.0.0.1 is not held back by a penalty.
    let t = Instant::now();
    assert_eq!(dovecot.count("support").await, 2);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );

    dovecot.expunge_all("support").await;
    assert_eq!(dovecot.count("support").await, 0);
    let (c, d) = (eml("third", "Hola tres"), eml("fourth", "Hola cuatro"));
    assert_eq!(dovecot.append("support", "INBOX", &c).await, (v1, 3));
    dovecot
        .append_with_flags("support", "INBOX", &d, "(\\Seen)")
        .await;
    assert_eq!(dovecot.uids("support").await, vec![3, 4]);

    // UIDVALIDITY change: index rebuilt, messages renumbered from 1. An open session
    // is disconnected.
    let mut open = dovecot.login("support").await;
    open.select("INBOX").await.unwrap();
    let t = Instant::now();
    let v2 = dovecot.reset_uidvalidity("support").await;
    eprintln!("UIDVALIDITY reset in {:?}", t.elapsed());
    assert_ne!(v2, v1);
    assert!(
        open.noop().await.is_err(),
        "the open session was disconnected"
    );
    let (validity, got) = fetch_all(dovecot.port(), "support").await;
    assert_eq!(validity, v2);
    let renumbered: Vec<_> = got.iter().map(|m| (m.0, m.2.clone())).collect();
    assert_eq!(renumbered, vec![(1, c.clone()), (2, d.clone())]);
    assert!(got[1].1.contains("Seen"), "flags survive the rebuild");
    let mut s = dovecot.login("support").await;
    let status = s.status("INBOX", "(UIDVALIDITY MESSAGES)").await.unwrap();
    assert_eq!(status.uid_validity, Some(v2), "STATUS sees it too");
    s.logout().await.unwrap();
    // And a change that keeps the UIDs.
    dovecot.set_uidvalidity("support", v2 + 1000).await;
    assert_eq!(dovecot.uidvalidity("support").await, v2 + 1000);
    assert_eq!(dovecot.uids("support").await, vec![1, 2]);
    assert_eq!(dovecot.append("support", "INBOX", &a).await, (v2 + 1000, 3));

    // TLS: implicit TLS on the IMAPS port, verified against the self-signed cert.
    let t = Instant::now();
    let tls = Dovecot::start_tls();
    eprintln!("dovecot with TLS ready in {:?}", t.elapsed());
    let greeting = tls_greeting(tls.imaps_port().unwrap(), tls.cert_der());
    assert!(greeting.starts_with("* OK"), "{greeting}");
    tls.append("x", "INBOX", &a).await; // plain port still works

    let t = Instant::now();
    drop(tls);
    eprintln!("dovecot stopped in {:?}", t.elapsed());

    // --- SMTP: aiosmtpd ---
    let t = Instant::now();
    let mut sink = SmtpSink::start();
    eprintln!(
        "SMTP sink ready in {:?} on port {}",
        t.elapsed(),
        sink.port()
    );
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port())
        .build();
    let from: Mailbox = "Soporte <support@example.com>".parse().unwrap();
    let mail = |to: &str, subject: &str| {
        Message::builder()
            .from(from.clone())
            .to(to.parse().unwrap())
            .subject(subject)
            .body(format!("Body of {subject}"))
            .unwrap()
    };
    mailer
        .send(mail("carla@example.org", "Re: first"))
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mail_from(), "support@example.com");
    assert_eq!(got[0].rcpt_tos(), vec!["carla@example.org"]);
    assert!(
        got[0].text().contains("Subject: Re: first"),
        "{}",
        got[0].text()
    );
    assert!(got[0].text().contains("Body of Re: first"));
    assert_eq!(got[0].auth_login(), None);

    let err = mailer
        .send(mail("reject-me@example.org", "bounce"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert_eq!(err.status().map(|c| c.to_string()), Some("550".into()));
    assert!(err.to_string().contains("mailbox unavailable"), "{err}");
    let err = mailer
        .send(mail("tempfail@example.org", "later"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");

    // SMTP down: refused; back on the same port: sent (same transport).
    sink.stop();
    let err = mailer
        .send(mail("carla@example.org", "while down"))
        .await
        .unwrap_err();
    assert!(!err.is_permanent(), "{err}");
    eprintln!("SMTP down: {err}");
    let t = Instant::now();
    sink.restart();
    eprintln!("SMTP sink restarted in {:?}", t.elapsed());
    mailer
        .send(mail("carla@example.org", "back again"))
        .await
        .unwrap();
    let got = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert!(got[1].text().contains("Subject: back again"));

    // AUTH required.
    let authed = SmtpSink::start_with_auth("agent", "pw");
    let m = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(authed.port())
        .credentials(Credentials::new("agent".into(), "pw".into()))
        .build();
    m.send(mail("carla@example.org", "with auth"))
        .await
        .unwrap();
    let got = authed.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].auth_login(), Some("agent"));
    let anonymous = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(authed.port())
        .build();
    let err = anonymous
        .send(mail("carla@example.org", "no auth"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
}

/// The greeting read over implicit TLS, trusting only `cert_der`.
fn tls_greeting(port: u16, cert_der: Vec<u8>) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert_der))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut line = String::new();
    BufReader::new(&mut tls).read_line(&mut line).unwrap();
    let _ = tls.write_all(b"a LOGOUT\r\n");
    line
}
