// Compiles tests/e2e/contracts/*.sol with solc-js (the exact version pinned in package.json),
// resolving "@openzeppelin/..." imports from tests/e2e/node_modules.
//
// Standalone check: node tests/e2e/compile.mjs

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const SOLC_VERSION = "0.8.28";
export const EVM_VERSION = "cancun";
export const OPTIMIZER_RUNS = 200;

// The compiler: solc's package.json is the pinned version; its soljson.js must agree.
function loadSolc() {
    let solc;
    try {
        solc = require("solc");
    } catch (e) {
        throw new Error(
            `solc is not installed for the end-to-end tests (${e.code ?? e.message}).\n` +
                "Run `npm ci --prefix tests/e2e` from the repository root, then run the tests again.",
        );
    }
    const version = solc.version();
    if (!version.startsWith(`${SOLC_VERSION}+`)) {
        throw new Error(
            `solc-js reports version ${version}, but the tests pin ${SOLC_VERSION}: ` +
                "run `npm ci --prefix tests/e2e` to install the version in package-lock.json",
        );
    }
    return solc;
}

// Import callback: only library paths under node_modules, nothing outside it.
function findImport(path) {
    if (!path.startsWith("@openzeppelin/contracts/") || path.split("/").includes("..")) {
        return { error: `import "${path}" is not allowed: only @openzeppelin/contracts/... resolves` };
    }
    try {
        return { contents: readFileSync(require.resolve(path), "utf8") };
    } catch (e) {
        return {
            error: `import "${path}" not found (${e.code ?? e.message}); ` +
                "run `npm ci --prefix tests/e2e`",
        };
    }
}

// Returns { [contractName]: { abi, bytecode, deployedBytecode, immutableRanges } } for every contract in
// tests/e2e/contracts (OpenZeppelin's own contracts are compiled but not returned), and the
// compiler's warnings as strings. Throws with solc's formatted messages on any error.
export function compileContracts(dir = join(here, "contracts")) {
    const solc = loadSolc();
    const sources = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sol")).sort()) {
        sources[`contracts/${file}`] = { content: readFileSync(join(dir, file), "utf8") };
    }
    if (Object.keys(sources).length === 0) throw new Error(`no .sol files in ${dir}`);
    const input = {
        language: "Solidity",
        sources,
        settings: {
            evmVersion: EVM_VERSION,
            optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
            // Only our sources: OpenZeppelin's are compiled as dependencies, not emitted.
            outputSelection: Object.fromEntries(
                Object.keys(sources).map((s) => [
                    s,
                    { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"] },
                ]),
            ),
        },
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
    const problems = output.errors ?? [];
    const errors = problems.filter((p) => p.severity === "error");
    if (errors.length) {
        throw new Error(
            `solc ${solc.version()} failed to compile tests/e2e/contracts:\n` +
                errors.map((e) => e.formattedMessage ?? e.message).join("\n"),
        );
    }
    const contracts = {};
    for (const [source, byName] of Object.entries(output.contracts ?? {})) {
        if (!source.startsWith("contracts/")) continue;
        for (const [name, c] of Object.entries(byName)) {
            if (contracts[name]) throw new Error(`contract ${name} is defined twice in tests/e2e/contracts`);
            contracts[name] = {
                abi: c.abi,
                bytecode: `0x${c.evm.bytecode.object}`,
                deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
                // Byte ranges of the runtime code that the constructor fills with immutables
                // (solc leaves them zero in deployedBytecode).
                immutableRanges: Object.values(c.evm.deployedBytecode.immutableReferences ?? {})
                    .flat()
                    .sort((x, y) => x.start - y.start),
            };
        }
    }
    const warnings = problems
        .filter((p) => p.severity !== "error")
        .map((p) => (p.formattedMessage ?? p.message).trim());
    return { version: solc.version(), contracts, warnings };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    const started = Date.now();
    const { version, contracts, warnings } = compileContracts();
    for (const w of warnings) console.warn(w);
    for (const [name, c] of Object.entries(contracts)) {
        console.log(`${name}: ${(c.bytecode.length - 2) / 2} bytes of init code, ${c.abi.length} ABI entries`);
    }
    console.log(`solc ${version}: ${Object.keys(contracts).length} contracts in ${Date.now() - started} ms`);
}
