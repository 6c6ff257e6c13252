import type { Context } from "hono";
import { type BlobStore, createBlobStore } from "./blob/index.ts";
import { createStreamLimiter, type StreamLimiter } from "./chat/stream-limit/index.ts";
import { buildDeps, type Deps, type DepsOptions } from "./deps.ts";
import { createEmbedder, type Embedder } from "./embeddings/index.ts";
import type { AppEnv } from "./http/app-env.ts";
import { createLanguageModel, type LanguageModel } from "./llm/index.ts";
import { createVectorIndex } from "./vectors/index.ts";
import type { VectorIndex } from "./vectors/port.ts";

/** `Deps` plus the ports that handle documents' content: what rag, chats, analyze and the worker build. */
export interface ContentDeps extends Deps {
  blobStore: BlobStore;
  embedder: Embedder;
  vectorIndex: VectorIndex;
  /** The chat model: an OpenAI-compatible server, or the extractive responder when none is configured. */
  llm: LanguageModel;
  /** Answers streaming at once per principal (CHAT_MAX_STREAMS_PER_USER), across processes with Redis. */
  streamLimiter: StreamLimiter;
}

export async function buildContentDeps(options: DepsOptions): Promise<ContentDeps> {
  const deps = await buildDeps(options);
  const { config, log, metrics, db } = deps;
  const blobStore = await createBlobStore(config, log);
  deps.readinessChecks.blob_store = () => blobStore.check();
  return {
    ...deps,
    blobStore,
    embedder: createEmbedder(config, log, metrics),
    vectorIndex: createVectorIndex(config, db, log),
    llm: createLanguageModel(config, log, metrics),
    streamLimiter: createStreamLimiter(deps.redis, config.REDIS_KEY_PREFIX, metrics),
    async close() {
      await blobStore.close();
      await deps.close();
    },
  };
}

/** The request's dependencies with the content ports; only routes mounted by a content function ask. */
export function contentDeps(c: Context<AppEnv>): ContentDeps {
  const deps = c.get("deps");
  if (!("blobStore" in deps)) {
    throw new Error(`the ${deps.functionName} function was built without the content ports`);
  }
  return deps as ContentDeps;
}
