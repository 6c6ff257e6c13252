import type { Document } from "../../db/types.ts";
import { ApiError } from "../errors.ts";

export function fileTooLarge(limitBytes: number): ApiError {
  return new ApiError(
    "payload_too_large",
    `the file is larger than the upload limit of ${limitBytes} bytes`,
    {
      limit_bytes: limitBytes,
    },
  );
}

export function emptyFile(): ApiError {
  return new ApiError("validation_failed", "the file is empty (0 bytes): nothing to ingest", {
    field: "file",
  });
}

/** The PUT stored another size than the client declared (a cut-off or wrong file): it may PUT again. */
export function sizeMismatch(declared: number, stored: number): ApiError {
  return new ApiError(
    "validation_failed",
    `the stored file has ${stored} bytes, not the ${declared} declared; PUT the whole file again, then complete`,
    { field: "size_bytes", declared_size_bytes: declared, size_bytes: stored },
  );
}

/** Identical content already live in the tenant: the new upload was dropped. */
export function duplicateOf(existing: Document): ApiError {
  return new ApiError("conflict", "a document with identical content already exists", {
    document_id: existing.id,
    status: existing.status,
  });
}

export function notUploading(status: Document["status"]): ApiError {
  return new ApiError("conflict", `only an uploading document can be completed; this one is ${status}`, {
    status,
  });
}

export function uploadMissing(): ApiError {
  return new ApiError("conflict", "upload not found; PUT the file first", { status: "uploading" });
}
