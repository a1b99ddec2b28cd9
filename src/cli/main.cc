// honeycomb: the single binary. Subcommands are added as the modules behind them land.
#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{
        "Honeycomb: a high-performance consortium blockchain (BFT consensus, EVM, proofs).\n"
        "Subcommands appear here as they are implemented; see README.md and docs/."};
    app.set_version_flag("--version", "honeycomb 0.1.0");
    app.require_subcommand(0);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (argc == 1) std::cout << app.help();
    return 0;
}
