fn main() {
    std::process::exit(soarform::run(std::env::args_os()));
}
