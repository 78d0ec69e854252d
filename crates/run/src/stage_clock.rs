//! Measures a stage: wall time, the process's CPU time and its peak resident memory, read
//! from `/proc/self` (Linux); elsewhere only the wall time is reported.

use std::time::Instant;

use skillgap_sinks::StageReport;

/// Ticks per second of `/proc/<pid>/stat`'s times (`USER_HZ`, fixed at 100 in Linux's
/// user-space ABI).
const USER_HZ: f64 = 100.0;

/// A stage being measured.
pub(crate) struct StageClock {
    stage: &'static str,
    started: Instant,
    cpu_at_start: Option<f64>,
}

impl StageClock {
    /// Starts measuring `stage`.
    pub(crate) fn start(stage: &'static str) -> Self {
        Self { stage, started: Instant::now(), cpu_at_start: process_cpu_seconds() }
    }

    /// The stage's report, now.
    pub(crate) fn stop(self) -> StageReport {
        let cpu_seconds = match (self.cpu_at_start, process_cpu_seconds()) {
            (Some(start), Some(end)) => Some(end - start),
            _ => None,
        };
        StageReport {
            stage: self.stage.to_owned(),
            seconds: self.started.elapsed().as_secs_f64(),
            cpu_seconds,
            peak_rss_mib: peak_rss_mib(),
        }
    }
}

/// User + system CPU seconds of this process (all threads), from `/proc/self/stat`.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_seconds_of_stat(&stat)
}

/// Fields 14 and 15 (`utime`, `stime`) of a `/proc/<pid>/stat` line; the command name
/// (field 2, in parentheses) may hold spaces, so fields are counted after its last `)`.
fn cpu_seconds_of_stat(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / USER_HZ)
}

/// This process's high-water resident memory (`VmHWM` of `/proc/self/status`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_after_a_command_name_with_spaces() {
        let stat = "4242 (tokio runtime) R 1 4242 4242 0 -1 4194304 9000 0 0 0 250 75 0 0 20 0 3 0 100 1000000 2000 18446744073709551615";
        assert_eq!(cpu_seconds_of_stat(stat), Some(3.25));
        assert_eq!(cpu_seconds_of_stat("garbage"), None);
    }

    #[test]
    fn a_stage_reports_the_cpu_it_burnt() {
        // Spins until this thread itself has burnt 0.2 s of CPU (or, where /proc is
        // missing, 0.2 s of wall time): on a loaded machine wall time alone may give the
        // spinning thread little CPU.
        let thread_cpu =
            || std::fs::read_to_string("/proc/thread-self/stat").ok().and_then(|stat| cpu_seconds_of_stat(&stat));
        let clock = StageClock::start("spin");
        let started = Instant::now();
        let first = thread_cpu();
        let mut accumulator = 0u64;
        loop {
            for _ in 0..100_000 {
                accumulator = accumulator.wrapping_mul(31).wrapping_add(7);
            }
            let burnt = match (first, thread_cpu()) {
                (Some(first), Some(now)) => now - first >= 0.2,
                _ => started.elapsed().as_millis() >= 200,
            };
            if burnt {
                break;
            }
        }
        let report = clock.stop();
        assert!(accumulator != 1);
        assert_eq!(report.stage, "spin");
        assert!(report.seconds >= 0.1);
        if cfg!(target_os = "linux") {
            let cpu = report.cpu_seconds.unwrap_or_default();
            assert!(
                (0.15..=report.seconds * 4.0 + 0.1).contains(&cpu),
                "cpu {cpu} s for {} s of spinning",
                report.seconds
            );
            assert!(report.peak_rss_mib.unwrap_or_default() > 1.0);
        }
    }
}
