// An OpenAI-compatible HTTP server over local models.
import Hummingbird
import MimicTeacher
