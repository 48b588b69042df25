//! The `drover` command.

mod cli;

/// mimalloc: the state store allocates and frees many small objects from
/// several threads; glibc's allocator spent a third of the servers' CPU on
/// it and fragmented their memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
