// Compiles the system contracts' Solidity interfaces (contracts/system/*.sol) with the solc-js
// the end-to-end tests pin (tests/e2e/compile.mjs) and writes their JSON ABIs to
// contracts/system/abi/, which clients load to call the native contracts at 0x...1000/0x...1001.
//
//   node scripts/compile-system-abis.mjs          regenerate contracts/system/abi/*.json
//   node scripts/compile-system-abis.mjs --check  exit 1 if a committed ABI is missing or stale
//
// Needs `npm ci --prefix tests/e2e` first.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { compileContracts } from "../tests/e2e/compile.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "contracts", "system");
const abiDir = join(dir, "abi");

// Interface name -> ABI file name.
const OUTPUTS = { IGovernance: "Governance.json", IMembership: "Membership.json" };

function fail(message) {
    console.error(`compile-system-abis: ${message}`);
    process.exit(1);
}

const check = process.argv.includes("--check");
const unknown = process.argv.slice(2).filter((a) => a !== "--check");
if (unknown.length) fail(`unknown argument ${unknown.join(" ")}; the only option is --check`);

let compiled;
try {
    compiled = compileContracts(dir);
} catch (e) {
    fail(e.message);
}
for (const w of compiled.warnings) console.warn(w);

const extra = Object.keys(compiled.contracts).filter((name) => !(name in OUTPUTS));
if (extra.length) {
    fail(`${relative(root, dir)} defines ${extra.join(", ")}, which has no ABI file: ` +
        "add it to OUTPUTS in scripts/compile-system-abis.mjs");
}

const stale = [];
for (const [name, file] of Object.entries(OUTPUTS)) {
    const contract = compiled.contracts[name];
    if (!contract) fail(`no interface ${name} in ${relative(root, dir)}`);
    // solc emits the ABI in a fixed order, so the text is the same on every run.
    const text = `${JSON.stringify(contract.abi, null, 2)}\n`;
    const out = join(abiDir, file);
    const shown = relative(root, out);
    if (check) {
        let current = null;
        try {
            current = readFileSync(out, "utf8");
        } catch (e) {
            stale.push(`${shown} is missing (${e.code ?? e.message})`);
            continue;
        }
        if (current !== text) stale.push(`${shown} differs from the ABI solc ${compiled.version} makes of ${name}`);
        else console.log(`${shown} is up to date (solc ${compiled.version})`);
    } else {
        mkdirSync(abiDir, { recursive: true });
        writeFileSync(out, text);
        console.log(`wrote ${shown}: ${contract.abi.length} ABI entries of ${name}`);
    }
}
if (stale.length) {
    fail(`${stale.join("; ")}.\nRun \`node scripts/compile-system-abis.mjs\` and commit the result.`);
}
