// Read a GGUF header over HTTP with @huggingface/gguf, the reference tool.
import { gguf } from "@huggingface/gguf";
const t0 = performance.now();
const { metadata, tensorInfos } = await gguf(process.argv[2]);
const ms = performance.now() - t0;
console.log(JSON.stringify({ tensors: tensorInfos.length, arch: metadata["general.architecture"], ms }));
