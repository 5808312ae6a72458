// ccld2.h: a plain C interface to CLD2 (Compact Language Detector 2) for Swift.
#ifndef CCLD2_H
#define CCLD2_H

#ifdef __cplusplus
extern "C" {
#endif

/// Detects the language of `length` bytes of UTF-8 text.
///
/// Writes the top language's code (e.g. "en", "zh-Hant", "un" for unknown) as a NUL-terminated string into
/// `code_out` (capacity `code_cap` bytes), the top three languages' codes into `codes3_out` (three slots of
/// `code_cap` bytes each; may be NULL), their percentages of the text into `percent3` (three ints; may be NULL),
/// whether CLD2 calls the result reliable into `reliable` (may be NULL), and the number of letter bytes it scored
/// into `text_bytes` (may be NULL). `is_plain_text` = 0 lets CLD2 skip HTML tags and entities.
/// Returns the number of leading valid UTF-8 bytes if the input is not valid UTF-8 (then the language is
/// unknown), or -1 when the whole input was valid.
int ccld2_detect(const char *utf8, int length, int is_plain_text,
                 char *code_out, int code_cap,
                 char *codes3_out, int *percent3, int *reliable, int *text_bytes);

/// Writes the English name of the language with the given code (e.g. "en" -> "ENGLISH") into `name_out`.
/// Returns 0 when the code is known, -1 otherwise (then "Unknown" is written).
int ccld2_language_name(const char *code, char *name_out, int name_cap);

/// The CLD2 version string ("code_version - data_build_date").
const char *ccld2_version(void);

#ifdef __cplusplus
}
#endif

#endif
