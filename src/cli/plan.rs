//! `workwell plan` (placeholder until implemented).

/// Arguments of `workwell plan`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanArgs {
    /// Scenario files
    pub scenarios: Vec<std::path::PathBuf>,
}

/// Runs the subcommand.
pub fn run(_args: PlanArgs) -> anyhow::Result<()> {
    anyhow::bail!("`workwell plan` is not implemented yet")
}
