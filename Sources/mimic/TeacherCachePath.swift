// Where `mimic collect` and `mimic ledger` keep the teacher request cache and ledger by default.
import MimicModels

/// `teacher.sqlite` in Mimic's cache folder (`$MIMIC_CACHE`, else `./.cache`, else `~/.cache/mimic`).
func defaultTeacherCache() -> String { ModelCache.directory + "/teacher.sqlite" }
