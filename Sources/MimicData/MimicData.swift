// Conversation datasets: formats, importers, synthetic generators, curation.
import MimicTeacher
