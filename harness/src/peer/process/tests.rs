//! Children: lines read, exits seen, groups killed, waits bounded.

use super::*;

#[test]
fn missing_program_names_its_package() {
    let e = ChildGuard::spawn("no-such-tls-tool-xyz", &[], "pkg-xyz")
        .err()
        .expect("not found");
    assert_eq!(
        e.to_string(),
        "no-such-tls-tool-xyz not found; install pkg-xyz"
    );
}

#[test]
fn lines_are_read_and_the_child_is_reaped() {
    let args = vec![
        "-c".into(),
        "echo ready; echo oops >&2; exec sleep 30".into(),
    ];
    let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = g.wait_for_line(deadline, "ready", |l| l == "ready");
    assert_eq!(line.ok().as_deref(), Some("ready"));
    let c = g.finish();
    assert!(c.stdout.contains("ready"));
    assert!(c.exit.contains("killed"), "{}", c.exit);
    assert_eq!(c.ended, None, "a killed child did not end by itself");
}

#[test]
fn finishing_kills_what_the_child_started() {
    // The grandchild runs in the background and outlives its shell
    // unless the whole process group is killed.
    let args = vec!["-c".into(), "sleep 30 & echo $!; wait".into()];
    let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = g
        .wait_for_line(deadline, "the grandchild's pid", |l| !l.is_empty())
        .expect("a pid");
    let pid: u32 = line.trim().parse().expect("a number");
    drop(g.finish());
    assert!(ends_soon(pid), "the grandchild {pid} outlived the guard");
}

#[test]
fn a_child_that_exited_leaves_nothing_running_and_no_wait() {
    // The shell exits at once; its background grandchild keeps the
    // output pipes open and would hold `finish` for 30 s.
    let args = vec!["-c".into(), "sleep 30 & echo $!".into()];
    let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = g
        .wait_for_line(deadline, "the grandchild's pid", |l| !l.is_empty())
        .expect("a pid");
    let pid: u32 = line.trim().parse().expect("a number");
    assert!(g.wait_exit(deadline), "the shell exits by itself");
    let seen = Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(g.finish());
    });
    let c = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("finish returned");
    assert_eq!(c.code, Some(0), "{}", c.exit);
    // Its end is the time the wait saw it, not the later finish.
    assert!(c.ended.is_some_and(|e| e <= seen), "{:?}", c.ended);
    assert!(ends_soon(pid), "the grandchild {pid} outlived the guard");
}

#[test]
fn output_held_by_a_process_that_left_the_group_is_not_waited_for() {
    // setsid takes the grandchild out of the group, so killing the group
    // misses it and it keeps the output pipes open for 30 s.
    // The pid is printed once the new session exists, from inside it.
    let args = vec![
        "-c".into(),
        "setsid sh -c 'echo $$; exec sleep 30' &".into(),
    ];
    let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = g
        .wait_for_line(deadline, "the grandchild's pid", |l| !l.is_empty())
        .expect("a pid");
    let pid = line.trim().to_owned();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(g.finish());
    });
    let c = rx.recv_timeout(Duration::from_secs(10));
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    let c = c.expect("finish returned");
    assert!(c.stderr.contains("output still open"), "{}", c.stderr);
    assert!(c.stdout.contains(&pid));
}

/// Whether process `pid` is gone (or a zombie) within 5 s.
fn ends_soon(pid: u32) -> bool {
    let gone = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
    };
    let until = Instant::now() + Duration::from_secs(5);
    while !gone() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    gone()
}

#[test]
fn waiting_times_out() {
    let args = vec!["-c".into(), "exec sleep 30".into()];
    let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
    let r = g.wait_for_line(Instant::now() + Duration::from_millis(100), "x", |_| true);
    assert!(matches!(r, Err(ProcessError::TimedOut { .. })));
}

#[test]
fn shell_words_are_quoted_when_needed() {
    assert_eq!(shell_word("-accept"), "-accept");
    assert_eq!(shell_word("NORMAL:+VERS-TLS1.2"), "NORMAL:+VERS-TLS1.2");
    assert_eq!(shell_word("a b"), "'a b'");
}

#[test]
fn a_child_outlives_the_thread_that_started_it() {
    // Linux sends the death signal when the forking thread ends: a case's
    // thread that started a peer must not take it along when it ends.
    let started = std::thread::spawn(|| {
        let args = vec!["-c".into(), "echo ready; exec sleep 30".into()];
        ChildGuard::spawn("sh", &args, "dash").expect("sh")
    });
    let mut g = started.join().expect("the starting thread");
    let deadline = Instant::now() + Duration::from_secs(10);
    assert!(g.wait_for_line(deadline, "ready", |l| l == "ready").is_ok());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !g.exited(),
        "the child died with the thread that started it"
    );
    assert!(g.finish().exit.contains("killed by the harness"));
}

/// Set in the copy of this test binary that
/// `a_child_dies_with_a_harness_killed_outright` starts and kills.
const HOLD_A_CHILD: &str = "TLS_HARNESS_TEST_HOLD_A_CHILD";

#[test]
fn a_child_dies_with_a_harness_killed_outright() {
    if std::env::var_os(HOLD_A_CHILD).is_some() {
        // The copy: a harness holding a peer until it is killed.
        let args = vec!["-c".into(), "echo $$; exec sleep 60".into()];
        let mut g = ChildGuard::spawn("sh", &args, "dash").expect("sh");
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = g.wait_for_line(deadline, "a pid", |l| !l.is_empty());
        // On its own line: libtest's "test ... " has no line end yet.
        println!("\nheld child {}", pid.expect("a pid"));
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let name = module_path!().split_once("::").expect("a crate name").1;
    let mut copy = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args([
            &format!("{name}::a_child_dies_with_a_harness_killed_outright"),
            "--exact",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env(HOLD_A_CHILD, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("a copy of the test binary");
    let out = BufReader::new(copy.stdout.take().expect("piped"));
    let pid: u32 = out
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("held child ")
                .and_then(|p| p.trim().parse().ok())
        })
        .expect("the copy's child pid");
    copy.kill().expect("SIGKILL");
    let _ = copy.wait();
    assert!(ends_soon(pid), "the child {pid} outlived its harness");
}
