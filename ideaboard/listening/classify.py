"""Classify a social mention as a question, a complaint, a suggestion or other, by rules.

No machine learning: each table below is a list of named rules, a regular expression and a
weight each, with the reason the rule exists. A mention's text is normalised (`normalise`),
every rule is tried, and the weights of the rules that fired are added up per class. The
class is then chosen by a fixed precedence (`PRECEDENCE`, docs/listening.md):

1. complaint, when its score is at least 2 (a strong sign, or two weak ones): an unhappy
   customer must be answered first, even when the complaint is phrased as a question
   ("why does my bill go up again??") or ends with a request ("빨리 고쳐 주세요");
2. suggestion, when its score is at least 2: a proposal phrased as a question
   ("~하면 어떨까요?", "how about …?") is a suggestion, not a question;
3. question, when its score is at least 2 (a question word, a question ending, or "?" with
   another sign);
4. other, when thanks, praise or a greeting scored at least 2: "thanks again!" is not a
   complaint because of "again";
5. otherwise the class with a weak score (1), ties going complaint, suggestion, question;
6. otherwise other.

Korean rules are matched against the text with every space removed, so a post written without
spaces (붙여쓰기, "요금제변경어디서하나요") matches the same rules as a spaced one; English
rules are matched against the spaced text, on word boundaries. Hashtags are taken out of the
text and only the tag rules read them (#불만 counts as a complaint, a brand tag counts as
nothing). Input is cut to `MAX_INPUT_CHARS` first and no pattern nests quantifiers, so the time
taken is bounded whatever the input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Label = Literal["question", "complaint", "suggestion", "other"]
LABELS: tuple[Label, ...] = ("question", "complaint", "suggestion", "other")

View = Literal["compact", "text", "tags"]

# A mention is at most a few hundred characters; anything longer is cut before matching, so a
# pasted essay (or a hostile 100k-character post) costs no more than this.
MAX_INPUT_CHARS = 4000

# A score at least this high is a strong sign of its class (one strong rule, or two weak ones).
STRONG = 2


@dataclass(frozen=True)
class Rule:
    """One named sign of a class: where it looks, what it matches, how much it counts, why."""

    name: str
    label: Label
    weight: int
    view: View
    pattern: re.Pattern[str]
    why: str


def _ko(name: str, label: Label, weight: int, pattern: str, why: str) -> Rule:
    """A Korean rule: matched against the text with all spaces removed (붙여쓰기 matches)."""
    return Rule(name, label, weight, "compact", re.compile(pattern), why)


def _en(name: str, label: Label, weight: int, pattern: str, why: str) -> Rule:
    """An English (or punctuation/emoji) rule: matched against the spaced, casefolded text."""
    return Rule(name, label, weight, "text", re.compile(pattern), why)


def _tag(name: str, label: Label, weight: int, pattern: str, why: str) -> Rule:
    """A hashtag rule: matched against each hashtag's word (without the #)."""
    return Rule(name, label, weight, "tags", re.compile(pattern), why)


def _syllables_with_final(final: int) -> str:
    """A character class of every Hangul syllable whose final consonant (받침) is `final`.

    Korean endings like -ㄹ까요 or -ㄴ가요 attach the consonant to the verb's last syllable
    (할까요, 될까요, 가능한가요), so they cannot be written as a fixed string.
    """
    return "[" + "".join(chr(0xAC00 + i) for i in range(11172) if i % 28 == final) + "]"


_RIEUL = _syllables_with_final(8)  # ㄹ: 할, 될, 을, 갈, 어떨 …
_NIEUN = _syllables_with_final(4)  # ㄴ: 한, 인, 건, 된 …
_BIEUP = _syllables_with_final(17)  # ㅂ: 합, 됩, 입 …
_SSANG = _syllables_with_final(20)  # ㅆ: 었, 했, 렸, 꿨, 줬 … (past tense contracted into the verb)

# The tables are laid out by hand (name, class, weight, pattern, why), one rule a paragraph.
# fmt: off

QUESTION_RULES: tuple[Rule, ...] = (
    _ko("question.ko.na-yo", "question", 2, r"나요",
        "-나요 is the everyday polite question ending (하나요, 되나요, 있나요)"),
    _ko("question.ko.l-kka-yo", "question", 2, _RIEUL + r"까요?",
        "-ㄹ까(요) asks whether something is possible (가능할까요, 될까요)"),
    _ko("question.ko.n-ga-yo", "question", 2, _NIEUN + r"가요",
        "-ㄴ가요 asks about a state (무료인가요, 가능한가요, 되는건가요)"),
    _ko("question.ko.neun-ji", "question", 2,
        r"(?:는|건|인|" + _RIEUL + r")지(?:요|궁금|알려|모르)",
        "-는지 / -건지요 asks indirectly (어떻게 되는지 궁금합니다, 없어지는 건지요)"),
    _ko("question.ko.formal", "question", 2, r"(?:습|" + _BIEUP + r")니까(?:\?|$)",
        "-ㅂ니까 is the formal question ending (됩니까?, 가능합니까): with a '?' or at the end "
        "(바쁘니까 = because is not: no ㅂ before 니까)"),
    _ko("question.ko.may-i", "question", 2, r"도(?:돼요|되요|될까|됩니까|괜찮)",
        "-어도 돼요 / -도 괜찮을까요: asks for permission (끊어도 돼요? is a question)"),
    _ko("question.ko.can-i", "question", 2, r"수있(?:나|니|을까|는지|어요?\?|습니까)",
        "-ㄹ 수 있나요/있어? asks whether the customer can do something"),
    _ko("question.ko.where", "question", 2, r"어디(?!든|서나|에서나)",
        "어디서/어디에: where (어디서나/어디든 = anywhere is not)"),
    _ko("question.ko.how", "question", 2, r"어떻게|어떡|어떻해|어케|방법",
        "어떻게 (and the typos 어떡/어떻해/어케), 방법: how to do something"),
    _ko("question.ko.when", "question", 2, r"언제(?!나|든)",
        "언제: when (언제나/언제든 mean always/any time and are not questions)"),
    _ko("question.ko.why", "question", 2, r"왜(?!냐)",
        "왜: why (왜냐하면 means because); angry whys are caught by the complaint rules"),
    _ko("question.ko.what", "question", 2, r"뭐(?:가|예요|에요|야|지|죠|냐|하)|무엇|무슨|어느|누구",
        "뭐가/무슨/어느/누구: what, which, who"),
    _ko("question.ko.how-much", "question", 2, r"얼마|몇(?:살|시|개|번|기가|분|일|월|G|g)",
        "얼마/몇 시: how much, how many, what time"),
    _ko("question.ko.ask", "question", 2, r"궁금|문의|알려(?:주|줘)|알고싶|가르쳐",
        "궁금합니다, 문의, 알려 주세요: asks for information without a question mark"),
    _en("question.en.how", "question", 2,
        r"\bhow (?:do|can|does|to|long|much|many|would|should|often)\b",
        "how do I / how can / how long: asks how to do something"),
    _en("question.en.where", "question", 2,
        r"\bwhere (?:can|do|is|are|does|should|would|to)\b|\bwhere's\b",
        "where can / where do: asks where to do something"),
    _en("question.en.when", "question", 2,
        r"\bwhen (?:will|does|do|is|are|can|should|would)\b",
        "when will / when does: asks for a date or time"),
    _en("question.en.what", "question", 2,
        r"\bwhat(?:'s| is| are| time| does| do| documents| happens| plan| kind)\b|\bwhich\b",
        "what is / what time / which: asks for a fact or a choice"),
    _en("question.en.why", "question", 2,
        r"\bwhy (?:does|do|is|are|did|would|can|am)\b",
        "why does: asks for a reason (angry whys are caught by the complaint rules)"),
    _en("question.en.auxiliary-first", "question", 2,
        r"(?:^|[.!?,:] )(?:is|are|does|do|can|could|will|would|did|has|have) "
        r"(?:i|you|u|it|there|the|my|this|that|we|they|a|an|your|5g|esim|anyone)\b",
        "a sentence that starts with is/does/can + subject is a yes-no question"),
    _en("question.en.ask", "question", 2,
        r"\b(?:anyone know|does anyone|quick question|question:|wondering|can someone|"
        r"help me)\b",
        "anyone know / quick question: announces a question"),
    _en("question.any.question-mark", "question", 1, r"\?",
        "a question mark is only a weak sign: complaints and proposals use it too"),
)

COMPLAINT_RULES: tuple[Rule, ...] = (
    _ko("complaint.ko.disconnected", "complaint", 2,
        r"끊(?:겼|겨|김|기|어(?!도)|긴)(?!없|지않|지도않|는일없)",
        "끊겼어요/끊김: the connection dropped (끊김 없이 = without drops, 끊어도 돼요 = may I "
        "stop it are not)"),
    _ko("complaint.ko.dead", "complaint", 2, r"먹통|불통|나갔(?:어|네|다|음)|나감|죽었",
        "먹통/불통/나갔어요: the service is down"),
    _ko("complaint.ko.not-working", "complaint", 2, r"안(?:돼|되|됨|됩|됐|돼서)",
        "안 돼요/안돼/안되요 (typo): something does not work"),
    _ko("complaint.ko.no-signal", "complaint", 2,
        r"안(?:터[져지짐]|잡[혀히힘])|잡히(?:질|지)않|신호(?:가|도)?없|안들려",
        "안 터져요/안 잡혀요: no signal"),
    _ko("complaint.ko.not-arriving", "complaint", 2,
        r"안(?:와요|와서|옴|오네|오셨|오고|온다|와$)|못(?:받|봤|쓰|써|했)",
        "안 와요/못 받았어요: something expected never came, or could not be used"),
    _ko("complaint.ko.slow", "complaint", 2, r"느[려림린리]|버퍼링",
        "느려요/버퍼링: slow service"),
    _ko("complaint.ko.broken", "complaint", 2, r"고장|오류|에러|튕[겨김기]|작동(?:이)?안|실패",
        "고장/오류/에러/튕겨요: a device or the app is broken"),
    _ko("complaint.ko.annoyed", "complaint", 2,
        r"짜증|빡[치쳐침]|열받|(?<![전영])화(?:가)?나|지겹|지긋지긋|못참",
        "짜증/빡쳐/열받/화나/지겹다: anger or being fed up (전화나, 영화나 are not)"),
    _ko("complaint.ko.rude", "complaint", 2,
        r"무시(?:하|당|해|받)|반말|기분(?:이)?나[쁘빠쁩]|불쾌",
        "무시하네요/반말/기분 나쁩니다/불쾌: treated rudely"),
    _ko("complaint.ko.worst", "complaint", 2, r"최악|엉망|개판|형편없",
        "최악/엉망: the worst"),
    _ko("complaint.ko.absurd", "complaint", 2,
        r"어이없|황당|어처구니|장난하|장난해|말이(?:돼|되|됩)|사기(?:아|네|다|꾼|치|잖|야)",
        "어이없다/황당/말이 됩니까/사기 아님?: disbelief at how they were treated"),
    _ko("complaint.ko.without-consent", "complaint", 2,
        r"(?:동의|안내|고지|설명|연락|통보)(?:도)?(?:없이|안한|안하고|없었|도없)",
        "안내도 없이/동의도 안 한: something was done to the customer without telling them"),
    _ko("complaint.ko.promised", "complaint", 2, r"다면서|다더니|라더니|준다고했|한다고했",
        "된다면서요/해 준다더니: a promise that was not kept"),
    _ko("complaint.ko.unknown-charge", "complaint", 2,
        r"모르는(?:결제|청구|요금|문자|번호)|기억에없는|내가안한|신청(?:도)?안한",
        "모르는 결제/신청 안 한: a charge or service the customer never asked for"),
    _ko("complaint.ko.reproach", "complaint", 1, r"잖아|잖습니까|(?:게|건|는거)맞(?:나|냐|습니까)",
        "다르잖아요/올리는 게 맞나요: a reproach (weak: also a plain question)"),
    _ko("complaint.ko.disappointed", "complaint", 2, r"실망|답답|너무하|속상|서운",
        "실망/답답/너무하네요: disappointment"),
    _ko("complaint.ko.waste", "complaint", 2, r"돈아까|쓸모(?:가)?없|돈낭비|돈날",
        "돈 아까움/쓸모없음: paying for nothing"),
    _ko("complaint.ko.dissatisfied", "complaint", 2, r"불만|불친절|항의|민원",
        "불만/불친절/항의/민원: says it is a complaint"),
    _ko("complaint.ko.billing", "complaint", 2,
        r"폭탄|이중(?:으로)?청구|과다(?:청구|요금)|부당|몰래|강제로|마음대로",
        "요금 폭탄/이중 청구/강제로 가입: a billing or sales wrong"),
    _ko("complaint.ko.charged", "complaint", 1, r"청구(?:됐|돼|되었|되어)|결제(?:됐|돼|되었)",
        "청구됐어요: a charge is reported, often one the customer did not expect"),
    _ko("complaint.ko.price-up", "complaint", 1,
        r"(?:요금|가격|통신비|청구액)[이가은는도]?(?:또)?(?:올랐|올라|인상|오르)",
        "요금이 올랐네: a price rise"),
    _ko("complaint.ko.refund", "complaint", 1, r"환불|보상|배상",
        "환불/보상: wants money back (weak: '환불 규정이 뭐예요?' is a question)"),
    _ko("complaint.ko.leaving", "complaint", 2,
        r"해지(?:할게|할께|할거|할래|하겠|합니다|해야겠)|통신사(?:를)?바꾸|갈아(?:탈|타야|탑니다)",
        "해지할게요/통신사 바꾸고 싶다: threatens to leave"),
    _ko("complaint.ko.no-response", "complaint", 2,
        r"연락(?:이|도)?없|답(?:변)?(?:이|도)?없|무소식|감감",
        "연락이 없네요: nobody answered"),
    _ko("complaint.ko.unresolved", "complaint", 2, r"해결(?:을|이)?(?:못|안되|안됐|안돼)",
        "해결 못 함/해결이 안 돼요: the problem was not solved"),
    _ko("complaint.ko.waiting", "complaint", 1, r"째(?:대기|기다)|기다리고있|기다림|대기중",
        "30분째 대기/기다리고 있습니다: kept waiting"),
    _ko("complaint.ko.fix-it", "complaint", 2,
        r"고쳐|고치|해결(?:해|좀|바|부탁|안)|복구|조치(?:해|바|좀|부탁)",
        "고쳐 주세요/해결해 주세요: asks to repair something broken, so something is broken"),
    _ko("complaint.ko.why-so", "complaint", 2, r"왜(?:이렇게|이래|또|맨날|자꾸|계속)",
        "왜 이렇게/왜 또/왜 맨날: an angry why, not a request for a reason"),
    _ko("complaint.ko.again", "complaint", 1, r"또(?![는한래박다])",
        "또: again (또는 = or, 또한 = also, 또다른 = another are not)"),
    _ko("complaint.ko.repeatedly", "complaint", 1, r"계속|자꾸|맨날|매번|몇번을|번째(?!로)",
        "계속/자꾸/맨날/세 번째: it keeps happening"),
    _ko("complaint.ko.sigh", "complaint", 1, r"ㅡㅡ|-_-|ㅠㅠ|ㅜㅜ|;;",
        "ㅡㅡ/ㅠㅠ: an annoyed or sad face (weak: also used for being moved)"),
    _en("complaint.en.not-working", "complaint", 2,
        r"\b(?:not|isn't|isnt|aren't|stopped|still not) (?:working|coming|arriving|loading|"
        r"connecting)\b|\bdoes ?n[o']?t work|\bdoesnt work|\bwon't (?:work|connect|load|"
        r"let)\b|\bnot (?:coming|going) through\b",
        "doesn't work / not working / not coming through: something is broken"),
    _en("complaint.en.never-came", "complaint", 2,
        r"\bnever (?:arrived?|arrives|came|showed|called|got)\b|\bno(?:body| one) "
        r"(?:called|answered|replied|came|showed)\b|\bno(?:body| one) (?:can|could|will|"
        r"would) (?:tell|help|explain|answer)\b",
        "never arrives / never showed up / nobody called / no one can tell me"),
    _en("complaint.en.unasked", "complaint", 2,
        r"\bnever (?:asked|agreed|signed up|ordered|authori[sz]ed|requested)\b|\bwithout "
        r"(?:my |any )?(?:consent|permission|asking|notice|warning)\b",
        "never asked for / without my consent: something was done to the customer"),
    _en("complaint.en.helpless", "complaint", 2,
        r"\bwhat am i supposed to\b|\bhow (?:is|am) (?:this|that|i) supposed to\b",
        "what am I supposed to do: a question that is really a complaint"),
    _en("complaint.en.failure", "complaint", 2,
        r"\b(?:failed|fails|broken|crash(?:es|ed|ing)?|error|glitch\w*|bug(?:gy)?)\b",
        "failed / crashing / error: an app or device failure"),
    _en("complaint.en.outage", "complaint", 2,
        r"\b(?:outages?|(?:is|been|went|goes|was) down|down again|no signal|no service|"
        r"no internet|dead zone|died)\b|(?<!\bno )(?<!single )(?<!zero )\bdropp(?:ed|ing)\b",
        "outage / down / no signal / dropping (no dropped calls is not)"),
    _en("complaint.en.slow", "complaint", 2, r"\b(?:slow|sluggish|laggy|lagging|buffering|"
        r"throttl\w*)\b", "slow / buffering / throttled"),
    _en("complaint.en.terrible", "complaint", 2,
        r"\b(?:terrible|worst|awful|horrible|ridiculous|unacceptable|useless|pathetic|"
        r"joke|scam|rip-?off|waste of|misleading|false advertising|lied|lying)\b",
        "terrible / worst / unacceptable / waste of money"),
    _en("complaint.en.upset", "complaint", 2,
        r"\b(?:angry|annoy\w*|frustrat\w*|disappoint\w*|furious|fed up|sick of|tired of|"
        r"not happy|unhappy|upset)\b",
        "frustrated / disappointed / not happy"),
    _en("complaint.en.billing", "complaint", 2,
        r"\b(?:overcharg\w*|charged (?:twice|me twice|double)|double[- ]charged|hidden "
        r"(?:fees?|charges?)|wrong (?:bill|charge)s?|bill shock)\b",
        "overcharged / charged twice / hidden fees"),
    _en("complaint.en.price-up", "complaint", 1,
        r"\b(?:bill|price|fee|rate)s? (?:go|goes|went|going|keeps? going) up\b|\bhigher every\b|"
        r"\bprice (?:hike|increase)\b|\b(?:bill|price|fee|rate)s? (?:has |have )?(?:doubled|"
        r"tripled|jumped|skyrocketed)\b",
        "my bill goes up: a price rise"),
    _en("complaint.en.refund", "complaint", 1, r"\b(?:refund\w*|compensat\w*|money back)\b",
        "refund: wants money back (weak: 'how do I get a refund?' is a question)"),
    _en("complaint.en.ignored", "complaint", 2,
        r"\b(?:ignor(?:e|es|ed|ing) (?:me|us|my)|no (?:reply|response|answer)|still waiting|"
        r"hangs? up|hung up|on hold)\b",
        "ignoring me / still waiting / hung up on me / on hold"),
    _en("complaint.en.cannot-use", "complaint", 2,
        r"\b(?:can't|cant|cannot|unable to|couldn't) (?:even )?(?:connect|call|make calls|"
        r"log ?in|sign ?in|access|get (?:a )?signal|load|use|send|receive|pay)\b",
        "can't log in / can't make calls: cannot use the service"),
    _en("complaint.en.cant", "complaint", 1, r"\b(?:can't|cant|cannot|unable to|couldn't)\b",
        "can't: weak, 'I can't find the menu' is often a question"),
    _en("complaint.en.fix-it", "complaint", 2, r"\bfix (?:your|this|it|my|the)\b|\bsort "
        r"(?:this|it) out\b", "fix your network: asks to repair something broken"),
    _en("complaint.en.leaving", "complaint", 1, r"\bcancel\w*|\bswitching to\b|\bi'm leaving\b",
        "cancel / switching to: threatens to leave (weak: 'how do I cancel?' is a question)"),
    _en("complaint.en.again", "complaint", 1,
        r"\bagain\b|\banother (?:outage|bill|charge|problem|issue|day)\b|"
        r"\b(?:second|2nd|third|3rd|fourth|4th|fifth|5th) time\b",
        "again / another outage / third time: it keeps happening"),
    _en("complaint.en.repeatedly", "complaint", 1,
        r"\b(?:keeps?|still|every (?:single )?(?:day|night|evening|month|time))\b",
        "keeps / still / every single month: persistence"),
    _en("complaint.en.seriously", "complaint", 1, r"\bseriously\b|\bwtf\b|\bcome on\b",
        "seriously / come on: exasperation"),
    _en("complaint.any.angry-punctuation", "complaint", 1, r"\?\?|\?!|!\?",
        "?? / ?!: an exasperated question (weak: some customers double every ?)"),
    _en("complaint.any.angry-emoji", "complaint", 1, r"[\U0001F621\U0001F92C\U0001F624"
        r"\U0001F4A2\U0001F44E\U0001F620\U0001F644\U0001F643]",
        "😡 🤬 😤 💢 👎 😠 🙄 🙃: anger, or the upside-down face of sarcasm"),
    _tag("complaint.tag", "complaint", 2,
         r"불만|최악|고객센터불만|complain|fail|worst|outage|보이콧|boycott",
         "#불만 #최악 #fail: the tag itself says it is a complaint"),
)

SUGGESTION_RULES: tuple[Rule, ...] = (
    _ko("suggestion.ko.make-it-so", "suggestion", 2,
        r"(?:넣어|추가해|만들어|늘려|지원해|도입해|출시해|바꿔|올려|열어|확대해|이월해|"
        r"보내|낮춰|내려|줄여)(?:주|줘|달라)",
        "넣어 주세요/만들어 주세요/늘려 주면: asks the company to add or change something"),
    _ko("suggestion.ko.add", "suggestion", 2,
        r"추가(?!요금|비용|금|과금|로?청구|결제|요금|로?나|됐|돼)",
        "추가: add a feature (추가 요금/비용 = an extra charge is not)"),
    _ko("suggestion.ko.would-be-nice", "suggestion", 2,
        r"좋겠|좋을(?:것|거)같|좋을듯|좋을텐데|편할(?:텐데|것같|거같|듯)|좋지않을까",
        "좋겠어요/좋을 것 같아요/편할 텐데: it would be nice"),
    _ko("suggestion.ko.wish", "suggestion", 2, r"(?!있)" + _SSANG + r"으면",
        "있었으면/했으면/늘렸으면: wishes something were so (any past form, 렸 = 리+었 too; "
        "있으면 is the weak rule below)"),
    _ko("suggestion.ko.if-there-were", "suggestion", 1, r"있으면|생기면|나오면|출시(?:하|되)면",
        "있으면/나오면: 'if there were' (weak: also an ordinary condition)"),
    _ko("suggestion.ko.how-about", "suggestion", 2,
        r"(?:면|게|건|거|것|는데)(?:어떨|어때|어떠|어떻겠)",
        "~하면 어떨까요/넣는 거 어때요: a proposal phrased as a question"),
    _ko("suggestion.ko.feature-how-about", "suggestion", 2,
        r"(?:기능|서비스|옵션|요금제|메뉴|이벤트)(?:은|는|도)?(?:어때|어떨|어떠)",
        "~ 기능 어때요/이런 요금제 어떨까요: proposes a feature by name"),
    _ko("suggestion.ko.could-you", "suggestion", 2,
        r"(?:주면|주시면|주실수)(?:안될까|안되나|안돼|없을까|없나|있을까|좋겠)",
        "해 주면 안 될까요/해 주실 수 있을까요: a request phrased as a question"),
    _ko("suggestion.ko.propose", "suggestion", 2, r"제안|건의|아이디어|추천드(?:려|립)",
        "제안/건의/아이디어: says it is a proposal"),
    _ko("suggestion.ko.improve", "suggestion", 2, r"개선|보완|업그레이드|확대",
        "개선/보완: asks for something to be improved"),
    _ko("suggestion.ko.enable", "suggestion", 2, r"수있게|수있도록|되게(?:해|바꿔)|오게하|하게해",
        "할 수 있게 해 주세요: asks to be allowed or enabled to do something"),
    _ko("suggestion.ko.polite-request", "suggestion", 1,
        r"바랍니다|바래요|바라요|부탁|고려",
        "바랍니다/부탁드립니다/고려: a polite request (weak: complaints use it too)"),
    _ko("suggestion.ko.please", "suggestion", 1, r"주세요|주시면|주셨으면|줘요|줘$|주면|줬으면",
        "-주세요: any request (weak: '알려 주세요' asks a question, '고쳐 주세요' complains)"),
    _en("suggestion.en.please-add", "suggestion", 2,
        r"\b(?:please|pls|plz) (?:add|bring|consider|make|offer|allow|let|support|include|"
        r"introduce)\b|\b(?:add|bring back|make|offer|allow|let us|include)\b[^.!?]{0,60}"
        r"\b(?:please|pls|plz)\b",
        "please add / bring back … please: asks for something new"),
    _en("suggestion.en.would-be-nice", "suggestion", 2,
        r"\b(?:would|it'd|will|that'd) be (?:nice|great|cool|awesome|helpful|good|handy|"
        r"useful|amazing|better)\b|\bwould (?:save|help)\b",
        "it would be nice / would be great / would save: proposes an improvement"),
    _en("suggestion.en.wish", "suggestion", 2,
        r"\bi wish\b|\bwish (?:you|there|u)\b|\bwould love\b|\bi'd love\b|\bhope you (?:add|"
        r"bring|consider|make)\b",
        "I wish / would love: wants something that does not exist"),
    _en("suggestion.en.should", "suggestion", 2, r"\b(?:you|u|hanbit|they|you guys) should\b",
        "you should: tells the company what to do (should I? is a question)"),
    _en("suggestion.en.you-could", "suggestion", 2,
        r"\b(?:you|u|you guys) (?:could|might) (?:offer|add|make|try|consider|give|let|have|"
        r"introduce|bring)\b|\bmaybe (?:add|offer|make|bring|consider|introduce|include|let)\b",
        "you could offer / maybe add: a gentle proposal"),
    _en("suggestion.en.like-to-see", "suggestion", 2,
        r"\b(?:i'd|i would|we'd|we would) (?:really )?(?:like|love) (?:to see|to have|a|an|"
        r"more|the option)\b",
        "I'd really like to see / we would like a: wants something that does not exist"),
    _en("suggestion.en.proposal", "suggestion", 2,
        r"\bfeature requests?\b|\bsuggest(?:ion|ions)?\b|\bidea:|\bproposal\b|\bi propose\b",
        "feature request / suggestion / idea: says it is a proposal"),
    _en("suggestion.en.how-about", "suggestion", 2,
        r"\b(?:how|what) about\b|\bwhy not\b|\bany chance\b|\b(?:could|can) you (?:add|"
        r"make|bring|offer|let|consider|support|include)\b|\bconsider(?:ing)? (?:adding|a|an|"
        r"offering|making)\b",
        "how about / why not / could you add: a proposal phrased as a question"),
    _en("suggestion.en.new-thing", "suggestion", 1,
        r"\b(?:an option|a way to|ability to|adding|widget|support for|a feature)\b",
        "an option to / adding / a widget: describes something new (weak)"),
    _en("suggestion.en.please", "suggestion", 1, r"\b(?:please|pls|plz)\b|\U0001F64F",
        "please / 🙏: any request (weak: 'refund please' is a complaint)"),
    _tag("suggestion.tag", "suggestion", 2, r"아이디어|제안|건의|idea|suggest|featurerequest",
         "#제안 #아이디어 #idea: the tag itself says it is a proposal"),
)

# Thanks, praise and greetings: they make "other" win over weak signs only ("thanks again!").
OTHER_RULES: tuple[Rule, ...] = (
    _ko("other.ko.thanks", "other", 2, r"감사|고마워|고맙|땡큐|ㄱㅅ",
        "감사합니다/고마워요: thanks"),
    _ko("other.ko.praise", "other", 2,
        r"최고|친절|좋아요|좋다|좋네|만족|빠르네|빠르다|잘(?:되|터|돼)|편하게|추천했|괜찮네",
        "최고/친절/좋아요/잘 돼요: praise"),
    _ko("other.ko.greeting", "other", 2,
        r"좋은아침|안녕하세요|새해복|잘보내세요|화이팅|파이팅|축하",
        "좋은 아침/새해 복/화이팅: a greeting or cheer"),
    _ko("other.ko.moved", "other", 2, r"감동|울었|뭉클|눈물났|눈물이",
        "감동/울었어요/뭉클: moved by an ad or a story (ㅠㅠ there is not a complaint)"),
    _en("other.en.thanks", "other", 2, r"\b(?:thanks|thank you|thx|ty|appreciate\w*)\b",
        "thanks / thank you"),
    _en("other.en.praise", "other", 2,
        r"\b(?:love|loving|great job|amazing|awesome|impressive|impressed|recommend|no regrets|"
        r"shout ?out|kudos|well done|congrat\w*)\b|\bcan'?t believe how (?:fast|good|great|"
        r"cheap|easy|quick|smooth)\b",
        "love / amazing / recommend / congrats: praise"),
    _en("other.en.greeting", "other", 2,
        r"\b(?:good morning|good night|happy new year|merry christmas|hello everyone)\b",
        "good morning / happy new year: a greeting"),
)

# fmt: on

RULES: tuple[Rule, ...] = QUESTION_RULES + COMPLAINT_RULES + SUGGESTION_RULES + OTHER_RULES

# The order in which classes are tried once every rule has been scored (see the docstring).
PRECEDENCE: tuple[tuple[str, Label], ...] = (
    ("complaint-first", "complaint"),
    ("suggestion-over-question", "suggestion"),
    ("question", "question"),
    ("courtesy", "other"),
)
# Order of the weak classes when no class reached STRONG and the scores tie.
WEAK_ORDER: tuple[Label, ...] = ("complaint", "suggestion", "question")


@dataclass(frozen=True)
class Normalised:
    """A mention's text as the rules see it."""

    text: str  # NFC, casefolded, URLs/@mentions/#tags out, spaces collapsed: English rules
    compact: str  # the same without any white space: Korean rules (붙여쓰기 matches)
    tags: tuple[str, ...]  # the hashtags' words, casefolded, without '#': tag rules


@dataclass(frozen=True)
class Classification:
    """The class of a mention and why: the rules that fired and the precedence step used."""

    label: Label
    confidence: Literal["strong", "weak", "none"]  # the winning score reached 2, 1, or 0
    decided_by: str  # a PRECEDENCE step name, "weak-signal" or "no-signal"
    reasons: tuple[str, ...]  # names of the rules that fired, in table order
    scores: Mapping[Label, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for staff: 'complaint (strong, complaint-first): rule, rule'."""
        fired = ", ".join(self.reasons) if self.reasons else "no rule fired"
        return f"{self.label} ({self.confidence}, {self.decided_by}): {fired}"


_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<![\w.])@[\w.]+")
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
_SPACE = re.compile(r"\s+")
# Curly quotes and full-width punctuation typed by Korean and Japanese keyboards.
_PUNCTUATION = str.maketrans({"\u2019": "'", "\u2018": "'", "\uff1f": "?", "\uff01": "!"})


def normalise(text: str) -> Normalised:
    """The three views the rules read; see `Normalised`. Input is cut to MAX_INPUT_CHARS."""
    text = unicodedata.normalize("NFC", text[:MAX_INPUT_CHARS]).translate(_PUNCTUATION)
    text = text.casefold()
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    tags = tuple(match.group(1) for match in _HASHTAG.finditer(text))
    text = _HASHTAG.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return Normalised(text=text, compact=_SPACE.sub("", text), tags=tags)


def _fires(rule: Rule, normalised: Normalised) -> bool:
    if rule.view == "tags":
        return any(rule.pattern.search(tag) for tag in normalised.tags)
    view = normalised.compact if rule.view == "compact" else normalised.text
    return rule.pattern.search(view) is not None


def classify(text: str) -> Classification:
    """Classify a mention's text as question, complaint, suggestion or other, and say why."""
    normalised = normalise(text)
    fired = [rule for rule in RULES if _fires(rule, normalised)]
    scores: dict[Label, int] = dict.fromkeys(LABELS, 0)
    for rule in fired:
        scores[rule.label] += rule.weight
    reasons = tuple(rule.name for rule in fired)

    for step, label in PRECEDENCE:
        if scores[label] >= STRONG:
            return Classification(label, "strong", step, reasons, scores)
    weak = [label for label in WEAK_ORDER if scores[label] > 0]
    if weak:
        best = max(weak, key=lambda label: scores[label])  # max keeps the first of a tie
        return Classification(best, "weak", "weak-signal", reasons, scores)
    return Classification("other", "none", "no-signal", reasons, scores)
