// Public surface of the WGSL kernels (see README.md in this folder). References (*.ref.ts) are for
// tests and benchmarks; import them directly where needed.
export {
  ATTENTION_MAX_HEAD_DIM, ATTENTION_PREFILL_MIN_ROWS, acquireAttentionOutput, attentionVariant, createKeyMask,
  createKvCache, destroyKvCache, encodeAttention, encodeAttentionStep, encodeKvAppend, keyMaskBits, warmAttention,
  type AttentionArgs, type AttentionMaskOptions, type AttentionVariant, type KeyMask, type KvCache, type KvCacheOptions,
} from './attention';
export {
  createAttentionMap, encodeAttentionMapAccumulate, encodeAttentionMapReduce, readAccum, readHeat, warmAttentionMap,
  type AttentionMap, type AttentionMapAccumulateArgs, type AttentionMapReduceOptions,
} from './attentionMap';
export {
  TOPK_MAX_K, appendEmbeddings, createEmbeddingStore, defaultTargetGroups, destroyEmbeddingStore, encodeSearchTopK,
  ensureCapacity, maxRowsPerChunk, searchTopK, truncateEmbeddings, warmSimilarityTopK, writeEmbeddings,
  type EmbeddingStore, type EmbeddingStoreOptions, type SearchOptions, type TopKBuffers, type TopKResult,
} from './similarityTopK';
export {
  FWD2BOT_PREPROCESS, encodePreprocess, preprocessImage, warmPreprocess,
  type PreprocessArgs, type PreprocessOptions, type ResizeFilter,
} from './preprocess';
export { KernelLimitError, KernelShapeError, type Dtype } from './checks';
export { f16BitsToF32, f32ToF16Bits, fromF16, roundF16, toF16 } from './f16';
