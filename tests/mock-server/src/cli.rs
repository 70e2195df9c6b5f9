//! Command-line parsing for the `mock-server` binary.

use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::Config;

/// Port used when `--port` is not given.
pub const DEFAULT_PORT: u16 = 8787;

/// Usage text printed by `--help` and after a command-line error.
pub const USAGE: &str = "\
usage: mock-server [--port PORT] [--max-batches N] [--max-requests N]
                   [--max-stored-bytes N] [--max-seen-ids N] [--record FILE]

  --port PORT           port on 127.0.0.1 (default 8787; 0 picks a free one)
  --max-batches N       accepted batches kept in memory (default 10000)
  --max-requests N      request-log entries kept in memory (default: --max-batches)
  --max-stored-bytes N  body bytes kept in memory (default 268435456)
  --max-seen-ids N      ids remembered for duplicate counting (default 2000000)
  --record FILE         append every accepted batch to FILE as a JSON line

The first line printed is `listening on http://127.0.0.1:PORT`.";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the server.
    Serve(Options),
    /// Print the usage and exit.
    Help,
}

/// Options of a server run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Port to bind on 127.0.0.1.
    pub port: u16,
    /// Limits and the record file.
    pub config: Config,
}

/// Parses arguments (without the program name). Accepts `--flag value` and `--flag=value`.
pub fn parse<I, S>(args: I) -> Result<Command>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut port = DEFAULT_PORT;
    let mut config = Config::default();
    let mut max_requests = None;
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let mut value = || {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::Usage(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--port" => port = number(&flag, &value()?)?,
            "--max-batches" => config.max_batches = positive(&flag, &value()?)?,
            "--max-requests" => max_requests = Some(positive(&flag, &value()?)?),
            "--max-stored-bytes" => config.max_stored_bytes = positive(&flag, &value()?)?,
            "--max-seen-ids" => config.max_seen_ids = number(&flag, &value()?)?,
            "--record" => config.record = Some(PathBuf::from(value()?)),
            _ => return Err(Error::Usage(format!("unknown argument {flag:?}"))),
        }
    }
    // One knob bounds both logs unless the request log is sized on its own.
    config.max_requests = max_requests.unwrap_or(config.max_batches);
    Ok(Command::Serve(Options { port, config }))
}

fn number<T: FromStr>(flag: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::Usage(format!("{flag}: {text:?} is not a valid number")))
}

fn positive(flag: &str, text: &str) -> Result<usize> {
    match number(flag, text)? {
        0 => Err(Error::Usage(format!("{flag} must be at least 1"))),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_without_arguments() {
        let Command::Serve(options) = parse(Vec::<String>::new()).unwrap() else {
            panic!()
        };
        assert_eq!(options.port, 8787);
        assert_eq!(options.config, Config::default());
    }

    #[test]
    fn both_flag_styles_are_understood() {
        let Command::Serve(options) =
            parse(["--port", "0", "--max-batches=5", "--record", "out.jsonl"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(options.port, 0);
        assert_eq!(options.config.max_batches, 5);
        assert_eq!(options.config.max_requests, 5);
        assert_eq!(options.config.record, Some(PathBuf::from("out.jsonl")));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(matches!(parse(["--port", "99999"]), Err(Error::Usage(_))));
        assert!(matches!(parse(["--frobnicate"]), Err(Error::Usage(_))));
        assert!(matches!(parse(["--record"]), Err(Error::Usage(_))));
    }
}
