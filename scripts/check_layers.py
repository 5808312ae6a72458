#!/usr/bin/env python3
"""Checks that each target imports only the Mimic targets below it (docs/ARCHITECTURE.md, "Layers").

Run from anywhere: python3 scripts/check_layers.py. Exits 1 naming each file and import that breaks a rule.
CI runs it before the tests (.ci/run)."""
import pathlib
import re
import sys

# target -> the project targets it may import (C modules included). Keep in step with docs/ARCHITECTURE.md.
ALLOWED = {
    "MimicCore": set(),
    "MimicTensor": {"MimicCore", "CBLAS", "CKernels"},
    "MimicTokenizers": {"MimicCore"},
    "MimicMetrics": {"MimicCore"},
    "MimicModels": {"MimicCore", "MimicTensor", "MimicTokenizers"},
    "MimicTrain": {"MimicCore", "MimicModels", "MimicTokenizers", "MimicTensor", "CKernels"},
    "MimicTeacher": {"MimicCore"},
    "MimicData": {"MimicCore", "MimicMetrics", "MimicTeacher", "MimicTokenizers", "CCLD2"},
    "MimicEval": {"MimicCore", "MimicMetrics", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTeacher",
                  "MimicData", "CSandbox"},
    "MimicServer": {"MimicCore", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor"},
    "MimicStages": {"MimicCore", "MimicMetrics", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor",
                    "MimicTrain", "MimicData", "MimicEval", "MimicServer"},
    "MimicStudy": {"MimicCore", "MimicMetrics", "MimicTeacher", "MimicModels", "MimicTrain", "MimicEval", "MimicStages", "MimicRate"},
    "MimicRate": {"MimicCore", "MimicMetrics", "MimicData"},
    "mimic": None,  # the executable may import every library
}

root = pathlib.Path(__file__).resolve().parent.parent
project = {p.name for p in (root / "Sources").iterdir() if p.is_dir()}
import_re = re.compile(r"^\s*(?:@testable\s+|@_exported\s+)?import\s+(?:struct\s+|enum\s+|class\s+|func\s+)?(\w+)", re.M)
problems = []
for target in sorted(project):
    folder = root / "Sources" / target
    swift_files = sorted(folder.rglob("*.swift"))
    if not swift_files:
        continue  # a C target
    if target not in ALLOWED:
        problems.append(f"Sources/{target}: a target the layer table does not know; add it to scripts/check_layers.py and docs/ARCHITECTURE.md")
        continue
    allowed = ALLOWED[target]
    if allowed is None:
        continue
    for f in swift_files:
        for module in import_re.findall(f.read_text(encoding="utf-8")):
            if module in project and module != target and module not in allowed:
                problems.append(f"{f.relative_to(root)}: imports {module}, which {target} may not (allowed: {', '.join(sorted(allowed)) or 'nothing'})")
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"layers ok: {len(project)} targets")
