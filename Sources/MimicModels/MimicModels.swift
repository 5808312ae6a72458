// MimicModels: the LanguageModel protocol, Llama and GPT-2 families, loaders, sampling.
