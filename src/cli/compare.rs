//! `workwell compare` (placeholder until implemented).

/// Arguments of `workwell compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct CompareArgs {
    /// Scenario files
    pub scenarios: Vec<std::path::PathBuf>,
}

/// Runs the subcommand.
pub fn run(_args: CompareArgs) -> anyhow::Result<()> {
    anyhow::bail!("`workwell compare` is not implemented yet")
}
