/** The media type of a Content-Type header, lowercased, without parameters ("" when there is none). */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}
