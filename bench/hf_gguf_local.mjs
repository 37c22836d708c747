// @huggingface/gguf on a local file: prints the in-process time of gguf().
//   node bench/hf_gguf_local.mjs NLC_DIR FILE
import { pathToFileURL } from "node:url";
const [, , nlc, file] = process.argv;
const { gguf } = await import(pathToFileURL(`${nlc}/node_modules/@huggingface/gguf/dist/index.js`).href);
const t0 = performance.now();
const { metadata, tensorInfos } = await gguf(file, { allowLocalFile: true });
const ms = performance.now() - t0;
console.log(JSON.stringify({ tensors: tensorInfos.length, arch: metadata["general.architecture"], ms }));
