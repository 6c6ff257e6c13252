import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import busboy from "busboy";
import { ApiError } from "../errors.ts";

export interface UploadFields {
  /** The explicit `name` field (given twice, it is a 422). */
  name?: string;
  /** Every `tags` field, comma-separated lists split. */
  tags: string[];
  /** Every other accepted field by name (each at most once). */
  other: Map<string, string>;
}

export interface FilePart {
  /** The part's file name as the client sent it (busboy keeps only its last path segment). */
  filename: string | undefined;
  /** The file's bytes as they arrive: read it to the end, or the parse stalls. */
  stream: Readable;
  /** The fields that came before the file part. */
  fieldsBefore: UploadFields;
}

export interface ParsedUpload<T> {
  /** All the fields of the body, including those after the file part. */
  fields: UploadFields;
  /** What `onFile` returned; undefined when the body had no `file` part. */
  file: T | undefined;
}

const LIMITS = { files: 1, fields: 64, fieldSize: 16 * 1024, parts: 128, headerPairs: 32 };

const tooMany = (what: string) =>
  new ApiError("validation_failed", `too many ${what} in the multipart body`, {
    limits: { files: LIMITS.files, fields: LIMITS.fields, parts: LIMITS.parts },
  });

/**
 * Streams a multipart/form-data body without buffering it: `onFile` gets the `file` part's stream as it
 * arrives, with the fields sent before it; the fields after it are parsed once the file is read.
 * Settles only after `onFile` has settled, so whatever it created can be cleaned up by the caller. When
 * `onFile` fails the parse stops at once and the rest of the body is left unread. A field not in
 * `acceptedFields`, or one other than `tags` given twice, is a 422 (it would otherwise be ignored), like a
 * field over its size limit.
 */
export async function parseUpload<T>(
  request: Request,
  acceptedFields: string[],
  onFile: (part: FilePart) => Promise<T>,
): Promise<ParsedUpload<T>> {
  if (!request.body) throw new ApiError("validation_failed", 'multipart field "file" is required');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": request.headers.get("content-type") ?? "" },
      limits: LIMITS,
      // Browsers send file names as raw UTF-8 (busboy would read them as latin1).
      defParamCharset: "utf8",
    });
  } catch {
    throw new ApiError("bad_request", "malformed multipart/form-data content type (no boundary)");
  }
  const source = Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
  const fields: UploadFields = { tags: [], other: new Map() };
  let fileWork: Promise<T> | undefined;
  let limitError: ApiError | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated || info.nameTruncated) {
        limitError ??= new ApiError("validation_failed", `field ${JSON.stringify(name)} is too long`, {
          field: name,
        });
      } else if (!acceptedFields.includes(name)) {
        limitError ??= new ApiError("validation_failed", `unknown multipart field ${JSON.stringify(name)}`, {
          field: name,
          accepted: ["file", ...acceptedFields],
        });
      } else if (name === "tags") {
        fields.tags.push(...value.split(","));
      } else if (name === "name" ? fields.name !== undefined : fields.other.has(name)) {
        limitError ??= new ApiError("validation_failed", `field ${JSON.stringify(name)} is given twice`, {
          field: name,
        });
      } else if (name === "name") {
        fields.name = value;
      } else {
        fields.other.set(name, value);
      }
    });
    parser.on("file", (name, stream, info) => {
      // Until it is read, an error (a cut-off body) must not go unhandled; whoever reads it still gets it.
      stream.on("error", () => {});
      if (name !== "file") {
        stream.resume();
        return;
      }
      fileWork = onFile({
        filename: info.filename,
        stream,
        fieldsBefore: { name: fields.name, tags: [...fields.tags], other: new Map(fields.other) },
      });
      fileWork.catch(reject);
    });
    parser.on("filesLimit", () => {
      limitError ??= new ApiError("validation_failed", "send one file per upload");
    });
    parser.on("fieldsLimit", () => {
      limitError ??= tooMany("fields");
    });
    parser.on("partsLimit", () => {
      limitError ??= tooMany("parts");
    });
    parser.on("finish", resolve);
    parser.on("error", (error) =>
      reject(error instanceof ApiError ? error : new ApiError("bad_request", "malformed multipart body")),
    );
    // A client that goes away errors the source: busboy passes it on to the file stream.
    source.on("error", (error) => parser.destroy(error));
  });
  source.pipe(parser);
  try {
    await parsed;
  } catch (error) {
    source.unpipe(parser);
    parser.destroy();
    await fileWork?.catch(() => {});
    throw error;
  }
  const file = await fileWork;
  if (limitError) throw limitError;
  return { fields, file };
}
