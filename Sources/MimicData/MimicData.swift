// Conversation datasets: formats, importers, synthetic generators, curation.
import MimicCore
import MimicTeacher
