// Shared pieces of the end-to-end tests: the ethers import, the dev chain's constants and
// development keys, starting and stopping `honeycomb dev`, and waiting with timeouts.
//
// Each test file runs in its own process (node --test) and starts its own node on a free port
// with a fresh data directory. The binary comes from HONEYCOMB_BIN (default:
// build/release/honeycomb).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

async function loadEthers() {
    try {
        return await import("ethers");
    } catch (e) {
        throw new Error(
            `ethers is not installed for the end-to-end tests (${e.code ?? e.message}).\n` +
                "Run `npm ci --prefix tests/e2e` from the repository root (or `make test`, " +
                "which does it for you), then run the tests again.",
        );
    }
}
export const ethers = await loadEthers();
const { JsonRpcProvider, WebSocketProvider, Wallet, isError, parseEther } = ethers;

export const HONEYCOMB_BIN = resolve(
    process.env.HONEYCOMB_BIN ?? join(here, "..", "..", "build", "release", "honeycomb"),
);
export const CHAIN_ID = 1337n;
export const GWEI = 10n ** 9n;
export const BASE_FEE = 1n * GWEI; // the default --min-gas-price, which is also the constant base fee
export const PREFUND = parseEther("10000");
export const TRANSFER_GAS = 21000n;
export const BLOCK_GAS_LIMIT = 30000000n;
export const STEP_TIMEOUT_MS = 20000; // any single wait (receipt, event) longer than this fails

// The well-known development keys (the Hardhat / Anvil set) the dev chain prefunds.
export const DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];
export const DEV_ADDRESSES = DEV_KEYS.map((k) => new Wallet(k).address);

// ---------------------------------------------------------------------------------------------
// Waiting and errors

const running = new Set(); // nodes of this process, whose output goes into timeout messages

function tail(text, lines = 40) {
    return text.split("\n").slice(-lines).join("\n");
}

function allNodeOutput() {
    return [...running].map((n) => n.output()).join("\n");
}

export function freePort() {
    return new Promise((resolvePort, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolvePort(port));
        });
    });
}

// Rejects with a message naming `what` if `promise` does not settle within `ms`.
export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(
            () => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${allNodeOutput()}`)),
            ms,
        );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The node's own error message inside an ethers error, wherever ethers put it.
// Event-driven waiting: call notify() whenever new events arrive; waitFor(pred, what) settles
// once pred() holds, and fails after STEP_TIMEOUT_MS naming `what`.
export function eventWaiter() {
    const waiters = [];
    const notify = () => {
        for (const w of waiters.splice(0)) w();
    };
    const waitFor = (pred, what) =>
        withTimeout(
            new Promise((res) => {
                const check = () => (pred() ? res() : waiters.push(check));
                check();
            }),
            STEP_TIMEOUT_MS,
            what,
        );
    return { notify, waitFor };
}

export function nodeMessage(e) {
    return e?.info?.error?.message ?? e?.error?.message ?? e?.info?.info?.error?.message ?? "";
}

export function describeError(e) {
    return `ethers code ${e?.code}, message ${JSON.stringify(e?.shortMessage ?? e?.message)}, ` +
        `node message ${JSON.stringify(nodeMessage(e))}`;
}

// Expects `promise` to reject with an ethers error of `code`; returns that error.
export async function expectEthersError(promise, code, what) {
    let result;
    try {
        result = await withTimeout(promise, STEP_TIMEOUT_MS, what);
    } catch (e) {
        assert.ok(isError(e, code), `${what}: expected ethers error ${code}, got ${describeError(e)}`);
        return e;
    }
    assert.fail(`${what}: expected ethers error ${code}, but it succeeded: ${JSON.stringify(result?.hash ?? result)}`);
}

// Waits for the receipt of a sent transaction and expects it to have succeeded.
export async function waitReceipt(tx, what) {
    const receipt = await withTimeout(tx.wait(), STEP_TIMEOUT_MS, `receipt of ${what} ${tx.hash}`);
    assert.ok(receipt, `no receipt for ${what} ${tx.hash}`);
    assert.equal(receipt.status, 1, `${what} ${tx.hash} failed (status ${receipt.status})`);
    return receipt;
}

// cacheTimeout -1: by default ethers answers a repeated identical request (a balance or a
// "pending" nonce) from a 250 ms cache, which would hide the very changes the tests check.
export function httpProvider(url) {
    return new JsonRpcProvider(url, undefined, { pollingInterval: 100, cacheTimeout: -1 });
}

export function wsProvider(url) {
    return new WebSocketProvider(url, undefined, { cacheTimeout: -1 });
}

// ---------------------------------------------------------------------------------------------
// The node

// One `honeycomb dev` process with its own data directory and port.
export class DevNode {
    constructor({ coinbase }) {
        this.coinbase = coinbase;
        this.child = null;
        this.stdout = "";
        this.stderr = "";
        this.exit = null;
        this.dataDir = null;
        this.httpUrl = null;
        this.wsUrl = null;
    }

    output() {
        return (
            `--- honeycomb stderr (tail) ---\n${tail(this.stderr)}\n` +
            `--- honeycomb stdout (tail) ---\n${tail(this.stdout)}`
        );
    }

    // Starts the node and waits for its "JSON-RPC listening" line; sets httpUrl and wsUrl.
    async start() {
        if (!existsSync(HONEYCOMB_BIN)) {
            throw new Error(
                `honeycomb binary not found at ${HONEYCOMB_BIN}: build it first ` +
                    "(cmake --build --preset release) or point HONEYCOMB_BIN at it",
            );
        }
        const port = await freePort();
        this.dataDir = await mkdtemp(join(tmpdir(), "honeycomb-e2e-"));
        const args = [
            "dev",
            "--data-dir", this.dataDir,
            "--rpc-addr", `127.0.0.1:${port}`,
            "--coinbase", this.coinbase,
            "--quiet",
        ];
        const child = spawn(HONEYCOMB_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        running.add(this);
        this.exited = new Promise((res) => {
            child.on("exit", (code, signal) => {
                this.exit = { code, signal };
                res(this.exit);
            });
        });
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (d) => (this.stderr += d));

        const ready = new Promise((res, reject) => {
            child.stdout.on("data", (d) => {
                this.stdout += d;
                const m = this.stdout.match(/JSON-RPC listening on (http:\/\/\S+) and (ws:\/\/\S+)/);
                if (m) res({ http: m[1], ws: m[2] });
            });
            child.on("error", (e) =>
                reject(new Error(`could not start ${HONEYCOMB_BIN}: ${e.message}`)),
            );
            child.on("exit", (code, signal) =>
                reject(
                    new Error(
                        `honeycomb dev exited before serving JSON-RPC (code ${code}, signal ${signal})\n` +
                            this.output(),
                    ),
                ),
            );
        });
        const urls = await withTimeout(ready, 30000, "the \"JSON-RPC listening\" line from honeycomb dev");
        this.httpUrl = urls.http;
        this.wsUrl = urls.ws;
    }

    // SIGTERM, then wait for the exit; SIGKILL only if it hangs (and fail). Removes the data
    // directory, then expects a clean exit (code 0) if the node was started.
    async stop() {
        const exit = await this.#terminate();
        if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
        running.delete(this);
        if (exit) {
            assert.deepEqual(
                exit,
                { code: 0, signal: null },
                `honeycomb dev must exit cleanly (code 0) on SIGTERM\n${this.output()}`,
            );
        }
    }

    async #terminate() {
        const child = this.child;
        if (!child || this.exit) return this.exit;
        child.kill("SIGTERM");
        let timer;
        const hung = new Promise((res) => (timer = setTimeout(() => res(null), 20000)));
        const exit = await Promise.race([this.exited, hung]);
        clearTimeout(timer);
        if (!exit) {
            child.kill("SIGKILL");
            await this.exited;
            throw new Error(`honeycomb dev did not exit within 20 s of SIGTERM\n${this.output()}`);
        }
        return exit;
    }
}
