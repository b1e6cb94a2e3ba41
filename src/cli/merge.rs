//! `workwell merge SHARD... | DIR`: checks that shard files belong to one run and
//! cover its replications exactly once, then writes the run's output folder from
//! their records, in replication order, through the same code as `run`.

use std::path::{Path, PathBuf};

use workwell::run::shard::{self, ShardError};

use super::run::write_outputs;

/// Arguments of `workwell merge`.
#[derive(clap::Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard files, or folders of them (every *.wwshard inside)
    #[arg(required = true, value_name = "SHARD|DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (default: outputs/<scenario name>/)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No table
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs the subcommand.
pub fn run(args: MergeArgs) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for input in &args.inputs {
        if input.is_dir() {
            files.extend(shard::list_dir(input)?);
        } else {
            files.push(input.clone());
        }
    }
    // the same file named twice (directly and through its folder) is one shard
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    let mut headers = Vec::with_capacity(files.len());
    for f in &files {
        headers.push((f.clone(), shard::open(f)?.header().clone()));
    }
    let order = shard::plan_merge(&headers)?;
    let (first_path, first) = &headers[order[0]];
    let sc = first.scenario().map_err(|message| ShardError::File {
        path: first_path.clone(),
        message,
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&sc.name));
    let (res, path) = write_outputs(&sc, &out, None, None, &mut |sink| {
        for &i in &order {
            let path = &headers[i].0;
            let mut reader = shard::open(path)?;
            loop {
                let record = reader.next_record().map_err(|message| ShardError::File {
                    path: path.clone(),
                    message,
                })?;
                let Some(r) = record else { break };
                sink(&r).map_err(anyhow::Error::msg)?;
            }
        }
        Ok(())
    })?;
    if !args.quiet {
        super::common::say(&format!(
            "{}{} replications from {} shards; outputs in {}\n",
            workwell::report::table::render(&res),
            res.replications,
            order.len(),
            path.display()
        ))?;
    }
    Ok(())
}
