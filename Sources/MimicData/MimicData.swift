// Conversation datasets: formats, importers, synthetic generators, curation.
@_exported import MimicCore  // the conversation record (ChatMessage, ConversationRecord, ConversationJSONL) lives there
import MimicTeacher
