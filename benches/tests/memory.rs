//! Heap bytes freed are counted in full, the few chunks glibc caches per
//! thread included. One test in its own process: the figures come from
//! process-wide malloc statistics, which tests running in parallel
//! threads would disturb. No speed is checked.

use benches::workload::heap_freed_by_dropping;

/// 1,000 blocks of 1,000 bytes, freed: the count falls short of what
/// they hold (1,000 × 1,008-byte chunks) by less than one chunk. Freed on
/// the calling thread, glibc's per-thread cache would keep 7 of them
/// counted as in use, 7,056 bytes short.
#[test]
fn dropping_counts_every_freed_chunk() {
    const N: usize = 1000;
    // The first thread a process spawns leaves some state behind for
    // good; a warm-up takes it, as memory_per_connection's does.
    heap_freed_by_dropping(Vec::<u8>::new()).expect("warm-up");
    let blocks: Vec<Box<[u8; 1000]>> = (0..N).map(|i| Box::new([i as u8; 1000])).collect();
    let freed = heap_freed_by_dropping(blocks).expect("dropped");
    // Each block is a 1,008-byte chunk (1,000 rounded up to 16 with its
    // 8-byte header), and the vector's own buffer of 8,000 bytes one of
    // 8,016.
    let held = N * 1008 + 8016;
    let short = held as i64 - freed as i64;
    assert!(short.abs() < 1008, "freed {freed}, held {held}");
}
