fn main() -> std::process::ExitCode {
    opcms::cli::main()
}
