/** A model name as a collection-safe alias: "nomic-embed-text:latest" → "nomic-embed-text-latest". */
export function modelAlias(model: string): string {
  const alias = model
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return alias || "model";
}
