//! Progress bars on an interactive terminal, drawn from the `skillgap::progress` tracing
//! events the library crates emit (`task`, `done`, `total` — 0 when unknown —, `unit`).
//! The libraries know nothing of terminals; in a non-interactive run, or with JSON logs,
//! these events are simply dropped.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The target of progress events.
pub const TARGET: &str = "skillgap::progress";

/// Draws one bar per task.
#[derive(Default)]
pub struct ProgressLayer {
    bars: Mutex<HashMap<String, ProgressBar>>,
    multi: MultiProgress,
}

#[derive(Default)]
struct Fields {
    task: String,
    unit: String,
    done: u64,
    total: u64,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "done" => self.done = value,
            "total" => self.total = value,
            _ => {}
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "task" => self.task = value.to_owned(),
            "unit" => self.unit = value.to_owned(),
            _ => {}
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for ProgressLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Ok(mut bars) = self.bars.lock() else { return };
        let bar = bars.entry(fields.task.clone()).or_insert_with(|| {
            let bar = self.multi.add(if fields.total > 0 {
                ProgressBar::new(fields.total)
            } else {
                ProgressBar::new_spinner()
            });
            let template = if fields.total > 0 {
                "{prefix:>24} [{bar:30}] {human_pos}/{human_len} {msg} ({eta})"
            } else {
                "{prefix:>24} {spinner} {human_pos} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(fields.task.clone());
            bar.set_message(fields.unit.clone());
            bar
        });
        bar.set_position(fields.done);
        if fields.total > 0 && fields.done >= fields.total {
            bar.finish_and_clear();
        }
    }
}
