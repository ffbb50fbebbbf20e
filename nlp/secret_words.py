"""The words the secrets detector (nlp/secrets.py) reads a chat message with.

Plain word lists, kept apart from the rules so that each rule reads on one
screen and a list can grow without touching a rule. All lower case.
"""

# Words that follow "password is" in a question or a complaint, not a value.
NOT_A_VALUE = frozenset(
    """
    a about accepted actually again all also always an and any anything anymore are as
    asking at bad being blank blocked broken but by can cant can't case changed coming
    correct could currently definitely did didnt didn't different disabled do does doesnt
    doesn't done due empty else even ever every expire expired expires expiring failing
    fine for forgotten forgot from gone good got had has hasnt hasn't have he her here
    hidden his how i if ill i'll im i'm in incorrect invalid is isnt isn't it its it's
    just know last like locked long lost me meant mine must my need needed needs never new
    no none nope not nothing now nt n't of off oh ok okay old on one only or our out over
    please probably really rejected required reset right same saved say saying says set
    she short should showing simple so some something sorry still strong stuck such sure
    than that thats that's the their them then there these they thing this those to too
    tried try trying uh um unknown up us valid very wasnt wasn't was we weak were what
    whats what's when where which while who why will with without wont won't working
    would wrong yes yet you your yours question questions answer answers spelling
    spelt spelled written more less longer shorter letters characters case capital
    sensitive dont didnt cant wont isnt doesnt wasnt havent hasnt aint im ive born
    asked told called named same both either neither city village town name hospital
    work works remember know forgot sure recall think
    change changing update updating mean same wrong right ok
    """.split()
)

# Filler around a lone value sent after context ("its X i think", "X?").
FILLER = frozenset(
    """
    its it's it is was i think maybe prob probably tried try the password pw pwd
    pin code answer my mine that thats that's one new old just typed used using put in
    and it says said wrong ok so um
    """.split()
)

# Ordinary replies and chat words that are never taken for a lone password.
REPLIES = frozenset(
    """
    ok okay okey k kk thanks thank thankyou thx ta cheers sorry yes yeah yep yea yup no
    nope nah help hello hi hey hiya bye done right sure fine great oops what why how when
    where who which again still locked please pls plz tablet phone laptop computer pc
    monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight
    yesterday morning night later now pharmacy chemist gp hospice nursing care home
    manager admin carer nurse staff outlook portal nhsmail nhs email mailbox shared
    helpdesk reset unlock forgot forgotten expired password pw pwd pin nothing none
    nevermind whatever lol haha urgent asap soon dont didnt cant wont isnt doesnt
    havent hasnt wasnt arent couldnt shouldnt wouldnt aint im ive ill id youre thats
    whats theres nope nah yh ye ya hmm hm erm both either neither all some skip
    memorable security question questions answer answers secret maiden account code
    letters characters one ones salamat mersi merci gracias dziekuje dzięki danke obrigado
    obrigada grazie multumesc mulțumesc dhanyavad shukriya asante dankie po opo dziękuję
    tak takk idk dunno sspr skipped pass passed next back
    nhsmail nhsmal outlook authenticator ods dspt mfa lhs portal helpdesk
    """.split()
)

# Capitalised words that are never a security answer.
NOT_AN_ANSWER = frozenset(
    """
    i i'm im i've ive i'll ill i'd nhs nhsmail outlook microsoft teams google authenticator
    mr mrs ms miss dr ok okay hi hello please thanks monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september
    october november december q a
    """.split()
)

ANSWER_SKIP = frozenset("a an the my our called named its it's is was".split())

ANSWER_STOP = frozenset(
    """
    with from thats that's because before after""".split()
    + """
    and but so or i it if because coz cos cause which that then when they he she we you
    is was are were and, lol x xx please pls can could how what why who do does did
    for on in at to with not question questions answer answers
    """.split()
)

NUMBER_WORDS = frozenset(
    """
    zero oh one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty
    seventy eighty ninety hundred thousand
    """.split()
)

# What a run of words taken for a passphrase never starts with: things with numbers.
NOT_A_PHRASE = frozenset(
    """
    windows win iphone ipad galaxy pixel samsung android ios office outlook teams covid
    room rm ward bay bed flat unit floor level option step page week year day night shift
    top version number no error code ticket ref case reference level grade band the a
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december mon tue wed thu fri sat sun
    tried try on in at for since from about nearly over under last only just past to
    half quarter till til until
    """.split()
)

UI_WORDS = frozenset(
    """
    account password incorrect error sign signed blocked locked try again expired wrong
    username invalid problem trouble something went denied access failed unable user
    """.split()
)

LEADING = frozenset(
    """
    picked typed put tried set changed made chose used using wrote write is was its it's
    mine my new old one and then also even maybe or but so the a is, as to
    """.split()
)

INNER = frozenset("the and of a an".split())

# Words of a reply that says what the user will do, not what the secret is.
DOING = frozenset("ask asking tell ring call phone speak check wait try email text".split())
