// Load GGUF files with the real llama.cpp (node-llama-cpp 3.21.1, CPU build)
// and record the buffer sizes llama.cpp logs, plus node-llama-cpp's own
// estimate for the same settings.
//
//   node measure.mjs CASES.json > RESULTS.jsonl
//
// CASES.json: [{"model": "/path.gguf", "runs": [{"ctx": 4096, "batch": 512,
//   "fa": false, "ctk": "F16", "ctv": "F16", "seqs": 1, "swa_full": false}]}]
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {pathToFileURL} from "node:url";

// NLC_DIR: a folder whose node_modules holds node-llama-cpp (default: cwd).
const nlcDir = process.env.NLC_DIR || process.cwd();
const {getLlama, LlamaLogLevel} = await import(
    pathToFileURL(join(nlcDir, "node_modules/node-llama-cpp/dist/index.js")).href);

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
let log = [];
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.debug,
    logger: (level, msg) => { log.push(msg.endsWith("\n") ? msg : msg + "\n"); }});

const MIB = 1024 * 1024;
function parse(lines) {
    const r = {model: {}, kv: {}, rs: {}, compute: {}, output: {}, kv_cells: [], n_ctx: null};
    const add = (o, k, v) => { o[k] = (o[k] || 0) + v; };
    for (const l of lines.join("").split("\n")) {
        let m;
        if ((m = l.match(/^load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB/)))
            add(r.model, m[1], Number(m[2]) * MIB);
        else if ((m = l.match(/^llama_kv_cache:\s+(\S+) KV buffer size =\s+([\d.]+) MiB/)))
            add(r.kv, m[1], Number(m[2]) * MIB);
        else if ((m = l.match(/^llama_memory_recurrent:\s+(\S+) RS buffer size =\s+([\d.]+) MiB/)))
            add(r.rs, m[1], Number(m[2]) * MIB);
        else if ((m = l.match(/^~llama_context:\s+(\S+) compute buffer size is ([\d.]+) MiB/)))
            r.compute[m[1]] = Number(m[2]) * MIB; // 4 decimals: more precise than sched_reserve
        else if ((m = l.match(/^sched_reserve:\s+(\S+) compute buffer size =\s+([\d.]+) MiB/)))
            { if (!(m[1] in r.compute)) r.compute[m[1]] = Number(m[2]) * MIB; }
        else if ((m = l.match(/^llama_context:\s+(\S+)\s+output buffer size =\s+([\d.]+) MiB/)))
            add(r.output, m[1], Number(m[2]) * MIB);
        else if ((m = l.match(/^llama_kv_cache: size =\s+[\d.]+ MiB \(\s*(\d+) cells/)))
            r.kv_cells.push(Number(m[1]));
        else if ((m = l.match(/^llama_context: n_ctx\s+= (\d+)/)))
            r.n_ctx = Number(m[1]);
        else if ((m = l.match(/^llama_context: n_batch\s+= (\d+)/)))
            r.n_batch = Number(m[1]);
        else if ((m = l.match(/^llama_context: n_ubatch\s+= (\d+)/)))
            r.n_ubatch = Number(m[1]);
    }
    return r;
}
const ggmlType = {F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, IQ4_NL: 20, BF16: 30};

for (const c of cases) {
    log = [];
    let model;
    try {
        model = await llama.loadModel({modelPath: c.model, gpuLayers: 0, useMmap: c.mmap !== false,
            ignoreMemorySafetyChecks: true});
    } catch (e) {
        console.log(JSON.stringify({model: c.model, error: String(e)}));
        continue;
    }
    // Log lines reach the JS logger asynchronously: let them arrive.
    await new Promise((r) => setTimeout(r, 300));
    const loaded = parse(log);
    for (const run of c.runs) {
        log = [];
        const out = {model: c.model, run, weights: loaded.model};
        try {
            const ctx = await model.createContext({contextSize: run.ctx, batchSize: run.batch || 512,
                flashAttention: !!run.fa, sequences: run.seqs || 1, swaFullCache: !!run.swa_full,
                experimentalKvCacheKeyType: run.ctk || "F16", experimentalKvCacheValueType: run.ctv || "F16",
                ignoreMemorySafetyChecks: true});
            await ctx.dispose();
            await new Promise((r) => setTimeout(r, 100));
            Object.assign(out, parse(log));
            out.model = c.model;
            out.weights = loaded.model;
            try {
                const est = model.fileInsights.estimateContextResourceRequirements({contextSize: run.ctx,
                    modelGpuLayers: 0, batchSize: run.batch || 512, sequences: run.seqs || 1,
                    flashAttention: !!run.fa, swaFullCache: !!run.swa_full,
                    experimentalKvCacheKeyType: ggmlType[run.ctk || "F16"],
                    experimentalKvCacheValueType: ggmlType[run.ctv || "F16"]});
                const mest = model.fileInsights.estimateModelResourceRequirements({gpuLayers: 0, useMmap: c.mmap !== false});
                out.nlc = {context_cpu: est.cpuRam, context_gpu: est.gpuVram, model_cpu: mest.cpuRam};
            } catch (e) { out.nlc = {error: String(e)}; }
        } catch (e) {
            out.error = String(e);
        }
        console.log(JSON.stringify(out));
    }
    await model.dispose();
}
