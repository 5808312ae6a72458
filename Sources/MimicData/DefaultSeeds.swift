// The built-in seed sets, written for this project (no text copied from the paper or any dataset): NQ-style
// Q/A pairs, TLDR (post, summary) examples and self-instruct seed tasks. data/seeds/ holds the same text as files.
import MimicCore

/// The default seeds, embedded so the binary works anywhere; `data/seeds/` holds identical copies (a test checks).
public enum DefaultSeeds {
    /// NQ-style seed pairs (`data/seeds/nq-seeds.txt`): short, lower-case factual questions, answers of a few words.
    public static let nqText = """
        Q: who wrote the novel pride and prejudice
        A: Jane Austen
        Q: what is the capital city of australia
        A: Canberra
        Q: how many bones are in the adult human body
        A: 206
        Q: who painted the ceiling of the sistine chapel
        A: Michelangelo
        Q: when did the berlin wall come down
        A: 1989
        Q: what is the longest river in south america
        A: the Amazon
        Q: who played jack dawson in titanic
        A: Leonardo DiCaprio
        Q: which element has the chemical symbol fe
        A: iron
        Q: who was the first person to walk on the moon
        A: Neil Armstrong
        Q: how many players does a soccer team have on the field
        A: 11
        Q: which planet is known as the red planet
        A: Mars
        Q: who composed the four seasons violin concertos
        A: Antonio Vivaldi
        Q: in which country is the city of marrakesh
        A: Morocco
        Q: who directed the movie jaws
        A: Steven Spielberg
        Q: what year did the titanic sink
        A: 1912
        Q: who voices woody in toy story
        A: Tom Hanks
        Q: what is the largest ocean on earth
        A: the Pacific Ocean
        Q: who came up with the theory of general relativity
        A: Albert Einstein
        Q: how many strings does a standard violin have
        A: 4
        Q: what is the official language of brazil
        A: Portuguese
        Q: who sang purple rain
        A: Prince
        Q: when did world war one begin
        A: 1914
        Q: what is the smallest prime number
        A: 2
        Q: who is the author of the harry potter books
        A: J. K. Rowling
        Q: what is the highest mountain in africa
        A: Mount Kilimanjaro
        Q: which band released the album abbey road
        A: The Beatles
        Q: what currency is used in japan
        A: the yen
        Q: who was the first president of the united states
        A: George Washington
        Q: at what temperature does water freeze in fahrenheit
        A: 32 degrees
        Q: in which city are the headquarters of the united nations
        A: New York City
        Q: who plays sheldon cooper in the big bang theory
        A: Jim Parsons
        Q: how many seasons of friends were made
        A: 10
        Q: what gas do plants take in from the air for photosynthesis
        A: carbon dioxide
        Q: who is credited with inventing the telephone
        A: Alexander Graham Bell
        Q: what is the capital of canada
        A: Ottawa
        Q: which team won the first super bowl
        A: Green Bay Packers
        Q: who wrote the play romeo and juliet
        A: William Shakespeare
        Q: what is the hardest natural substance
        A: diamond
        Q: what year did the first iphone come out
        A: 2007
        Q: who carries the one ring to mordor in the lord of the rings
        A: Frodo Baggins
        Q: how many states are in the united states
        A: 50
        Q: which city hosted the 2012 summer olympics
        A: London
        Q: who played the joker in the dark knight
        A: Heath Ledger
        Q: what is the main ingredient of guacamole
        A: avocado
        Q: what is the chemical formula of table salt
        A: NaCl
        """

    /// TLDR example pairs (`data/seeds/tldr-examples.jsonl`): one JSON object a line, `document` and `summary`.
    public static let tldrJSONL = #"""
        {"document":"My roommate and I have shared an apartment for two years and mostly get along. The problem is the kitchen. He cooks every night, which is great for him, but he leaves the pans in the sink until they grow a film, and then I end up washing them because I can't cook around them. I've hinted a few times and he laughs and says he'll get to it. I don't want a big fight because our lease runs another eight months and otherwise he's a good roommate. How do I bring this up so it actually changes something?","summary":"Roommate never washes his dishes and laughs off hints; how do I raise it seriously without wrecking the next eight months?"}
        {"document":"I turned 35 this year and finally bought the guitar I wanted as a teenager. I practice about twenty minutes most evenings after work. After three months I can play a handful of open chords, but switching between them is still slow and my fingertips hurt. Every video online seems to be a ten-year-old playing faster than I ever will, and some days I wonder whether I started too late to get anywhere. Did anyone here start an instrument in their thirties, and what kept you going through the slow part?","summary":"Started guitar at 35, slow progress after three months and feeling too old; looking for stories from late starters."}
        {"document":"I got a job offer from a company in another city. The pay is about 20% higher and the work sounds more interesting than what I do now. My partner has a stable job here and would have to look for a new one, and we just renovated our flat. My current manager found out and offered a small raise to keep me, but nothing about the work would change. I have until Friday to answer. I keep making lists of pros and cons and they come out roughly even.","summary":"Better-paid, more interesting job in another city versus staying put with a partner's job and a new renovation; deadline Friday and can't decide."}
        {"document":"We adopted a four-year-old rescue dog last month. She is sweet with us at home, but on walks she freezes whenever a bus or truck goes by and pulls to go back inside. The shelter said she came from a quiet farm. We have tried treats and going out at quiet hours, which helps a little. A trainer nearby charges a lot and has a two-month waiting list. Is this something that usually gets better on its own, or should we be doing something specific in the meantime?","summary":"New rescue dog panics at traffic on walks; treats and quiet hours help a bit; what can we do while waiting for a trainer?"}
        """#

    /// Self-instruct seed tasks (`data/seeds/self-instruct-seeds.txt`): one instruction a line.
    public static let selfInstructText = """
        Explain why the sky looks blue during the day and red at sunset, in terms a ten-year-old can follow.
        Write a polite email to a landlord asking for a broken heater to be repaired this week.
        Give three ideas for a birthday party for a seven-year-old who loves dinosaurs.
        Rewrite the following sentence to sound more formal: "We can't make it to the meeting, sorry."
        Write a Python function that returns the second largest number in a list of integers.
        Classify each of these animals as a mammal, bird or reptile: penguin, gecko, dolphin, bat.
        Summarize the main arguments for and against a four-day working week.
        Plan a three-day itinerary for a first visit to Lisbon on a modest budget.
        Suggest a name for a small bakery that specialises in sourdough bread, and explain the choice.
        Translate "Where is the nearest train station?" into Spanish and French.
        Write a short poem about the first snowfall of winter.
        What are the differences between a virus and a bacterium?
        Give step-by-step instructions for changing a flat tire on a car.
        Write a SQL query that lists the ten customers with the highest total order value.
        Describe how compound interest works, with a worked example.
        Offer advice to someone who is nervous about giving a speech at a wedding.
        List five common logical fallacies and give an everyday example of each.
        Create a weekly meal plan for a vegetarian who wants to eat more protein.
        Explain the rules of chess castling in a short paragraph.
        Write a product description for a reusable water bottle that keeps drinks cold for a day.
        Convert 72 degrees Fahrenheit to Celsius and show the calculation.
        Draft a short cover letter opening for a junior graphic designer position.
        """
}
