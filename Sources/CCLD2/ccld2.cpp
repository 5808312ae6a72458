// ccld2.cpp: the C shim over CLD2's C++ API (ExtDetectLanguageSummaryCheckUTF8, LanguageCode, LanguageName).
#include "ccld2.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <cstring>

namespace {

void copyString(const char *source, char *target, int capacity) {
    if (target == nullptr || capacity <= 0) { return; }
    if (source == nullptr) { source = ""; }
    std::strncpy(target, source, static_cast<size_t>(capacity) - 1);
    target[capacity - 1] = '\0';
}

}  // namespace

extern "C" int ccld2_detect(const char *utf8, int length, int is_plain_text,
                            char *code_out, int code_cap,
                            char *codes3_out, int *percent3, int *reliable, int *text_bytes) {
    CLD2::Language language3[3] = {CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE};
    int percents[3] = {0, 0, 0};
    double scores[3] = {0, 0, 0};
    int bytes = 0;
    bool isReliable = false;
    int validPrefix = 0;
    CLD2::Language top = CLD2::UNKNOWN_LANGUAGE;
    if (utf8 != nullptr && length > 0) {
        CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
        top = CLD2::ExtDetectLanguageSummaryCheckUTF8(
            utf8, length, is_plain_text != 0, &hints, 0, language3, percents, scores, nullptr, &bytes,
            &isReliable, &validPrefix);
    } else {
        validPrefix = 0;
        length = 0;
    }
    copyString(CLD2::LanguageCode(top), code_out, code_cap);
    if (codes3_out != nullptr) {
        for (int i = 0; i < 3; i++) {
            copyString(CLD2::LanguageCode(language3[i]), codes3_out + i * code_cap, code_cap);
        }
    }
    if (percent3 != nullptr) {
        for (int i = 0; i < 3; i++) { percent3[i] = percents[i]; }
    }
    if (reliable != nullptr) { *reliable = isReliable ? 1 : 0; }
    if (text_bytes != nullptr) { *text_bytes = bytes; }
    return validPrefix < length ? validPrefix : -1;
}

extern "C" int ccld2_language_name(const char *code, char *name_out, int name_cap) {
    CLD2::Language language = CLD2::GetLanguageFromName(code == nullptr ? "" : code);
    if (language == CLD2::UNKNOWN_LANGUAGE) {
        copyString("Unknown", name_out, name_cap);
        return -1;
    }
    copyString(CLD2::LanguageName(language), name_out, name_cap);
    return 0;
}

extern "C" const char *ccld2_version(void) { return CLD2::DetectLanguageVersion(); }
