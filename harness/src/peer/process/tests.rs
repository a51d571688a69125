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
