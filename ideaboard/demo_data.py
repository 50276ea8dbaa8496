"""Demo content for the IdeaBoard of Hanbit Telecom, an imaginary Korean carrier.

Hanbit sells mobile plans and home internet in Korea and serves many international
customers, so the board is a mix of Korean and English. The demo loader turns this
into users, ideas, votes, staff notes and comments; it is data only, with no logic.

Ideas with an ``x`` entry were imported from posts on X and have no board author.
``votes`` is a net popularity hint; the loader draws up and down votes from USERS.
"""

from __future__ import annotations

from typing import Any

CATEGORIES: list[tuple[str, str, str]] = [  # slug, English name, Korean name
    ("mobile", "Mobile plans", "모바일 요금제"),
    ("internet", "Home internet", "가정용 인터넷"),
    ("app", "App & website", "앱·웹사이트"),
    ("billing", "Billing & payments", "요금·결제"),
    ("support", "Customer support", "고객 지원"),
    ("stores", "Stores & delivery", "매장·배송"),
]

# Customers who post, vote and comment. Index 0-9 write in Korean, 10-15 in English.
USERS: list[dict[str, str]] = [
    {"name": "김민지", "email": "minji.kim@example.com", "locale": "ko"},
    {"name": "이준호", "email": "junho.lee@example.com", "locale": "ko"},
    {"name": "박서연", "email": "seoyeon.park@example.com", "locale": "ko"},
    {"name": "최동현", "email": "donghyun.choi@example.com", "locale": "ko"},
    {"name": "정하은", "email": "haeun.jung@example.com", "locale": "ko"},
    {"name": "강태윤", "email": "taeyoon.kang@example.com", "locale": "ko"},
    {"name": "윤지아", "email": "jia.yoon@example.com", "locale": "ko"},
    {"name": "장성민", "email": "sungmin.jang@example.com", "locale": "ko"},
    {"name": "한미경", "email": "mikyung.han@example.com", "locale": "ko"},
    {"name": "오승우", "email": "seungwoo.oh@example.com", "locale": "ko"},
    {"name": "Emily Carter", "email": "emily.carter@example.com", "locale": "en"},
    {"name": "Daniel Novak", "email": "daniel.novak@example.com", "locale": "en"},
    {"name": "Priya Raman", "email": "priya.raman@example.com", "locale": "en"},
    {"name": "Lucas Oliveira", "email": "lucas.oliveira@example.com", "locale": "en"},
    {"name": "Aiko Tanaka", "email": "aiko.tanaka@example.com", "locale": "en"},
    {"name": "Nguyen Thi Lan", "email": "lan.nguyen@example.com", "locale": "en"},
]

# Staff who answer in public: the everyday staff login first, then the admin.
STAFF: list[dict[str, str]] = [
    {"name": "Kim Gayoung", "email": "staff@example.com", "initials": "KG", "role": "staff"},
    {"name": "Park Jiwon", "email": "admin@example.com", "initials": "PJ", "role": "admin"},
    {"name": "Lee Sora", "email": "sora.lee@example.com", "initials": "LS", "role": "staff"},
]

# Comments are (USERS index, text); None as the index marks an official staff comment.
IDEAS: list[dict[str, Any]] = [
    {
        "title": "데이터 이월 서비스",
        "body": (
            "매달 데이터가 2~3GB씩 남는데 그냥 사라지는 게 너무 아깝습니다. 남은 데이터를 다음 "
            "달로 넘겨서 쓸 수 있게 해주세요.\n\n"
            "- 남은 기본 데이터를 다음 달 1일에 자동으로 이월\n"
            "- 이월된 데이터부터 먼저 차감\n"
            "- 앱에서 이월 내역 확인\n\n"
            "요금제를 바꾸지 않아도 지금 쓰는 요금제에 그대로 적용되면 좋겠습니다."
        ),
        "category": "mobile",
        "author": 0,
        "x": None,
        "days_ago": 118.0,
        "votes": 15,
        "stage": "launched",
        "note": "데이터 이월 서비스가 출시되었습니다. 남은 데이터는 다음 달로 자동 이월됩니다.",
        "comments": [
            (3, "드디어! 이번 달에 1.8GB 이월된 거 확인했어요."),
            (6, "무제한 요금제는 대상이 아닌가요?"),
            (None, "무제한 요금제는 제외되고, 기본 제공량이 정해진 요금제에만 적용됩니다."),
        ],
    },
    {
        "title": "가족 결합 요금 할인 확대",
        "body": (
            "지금 가족 결합은 4회선까지만 할인이 되는데, 저희 집은 부모님, 저, 동생 둘까지 다섯 "
            "명이라 한 명은 할인을 못 받고 있어요.\n\n"
            "결합 회선을 **6회선**까지 늘리고, 따로 사는 부모님도 주소와 상관없이 결합할 수 있게 "
            "해주세요. [가족 결합 안내](https://example.com/plans/family) 페이지를 봐도 "
            "인터넷까지 묶었을 때 할인이 크지 않아서 아쉽습니다."
        ),
        "category": "mobile",
        "author": 4,
        "x": None,
        "days_ago": 64.0,
        "votes": 14,
        "stage": "planned",
        "note": "가족 결합 개편 때 회선 수 확대를 반영하겠습니다. 3분기 중 안내드리겠습니다.",
        "comments": [
            (1, "따로 사는 부모님 결합 정말 필요해요. 서류 떼러 주민센터까지 가야 하더라고요."),
            (8, "손주들까지 묶고 싶은데 그것도 가능할까요?"),
            (None, "가족관계증명서를 앱에서 사진으로 제출하는 방법도 함께 검토하고 있습니다."),
        ],
    },
    {
        "title": "Instant eSIM for travellers arriving in Korea",
        "body": (
            "My parents visit me in Seoul twice a year and the first hour is always a hunt for a "
            "SIM counter at the airport. It would be much easier if they could buy a **data-only "
            "eSIM** online before the flight and scan a QR code when they land.\n\n"
            "- Pay with a foreign card, no Korean phone number needed\n"
            "- 5, 10 and 30 day options\n"
            "- The clock starts on first connection, not at purchase"
        ),
        "category": "mobile",
        "author": 12,
        "x": None,
        "days_ago": 40.0,
        "votes": 12,
        "stage": "in-progress",
        "note": "A travel eSIM is in development. A pilot at Incheon Airport starts next month.",
        "comments": [
            (14, "Yes please. The airport counters close at 10pm and my flight lands at 11."),
            (15, "Will it work with phones bought in Vietnam?"),
            (None, "Any unlocked phone with eSIM support will work. We'll publish a device list."),
        ],
    },
    {
        "title": "해외 로밍 요금을 24시간 단위로 계산해주세요",
        "body": (
            "일본, 대만 출장이 잦은데 대부분 1박 2일 일정입니다. 지금 로밍은 한국 시간 기준 하루 "
            "단위라 밤 11시에 도착해도 하루치 요금이 통째로 나가요.\n\n"
            "도착해서 처음 접속한 시점부터 **24시간 단위**로 계산해주시면 좋겠습니다. [로밍 요금 "
            "안내](https://example.com/roaming)를 봐도 현지 유심이 훨씬 싸서 고민돼요."
        ),
        "category": "mobile",
        "author": 7,
        "x": None,
        "days_ago": 21.0,
        "votes": 9,
        "stage": "under-review",
        "note": "로밍 요금을 첫 접속 기준 24시간 단위로 바꾸는 방안을 검토하고 있습니다.",
        "comments": [
            (2, "한국 시간 자정에 끊기는 것도 헷갈려요. 현지 시간 기준이면 좋겠어요."),
            (9, "주말 여행 가면 딱 이틀만 쓰는데 공감합니다."),
        ],
    },
    {
        "title": "지하철 터널 구간에서 5G가 자꾸 끊겨요",
        "body": (
            "출퇴근할 때 역과 역 사이 터널에서 5G가 LTE로 떨어지고 영상이 멈춥니다. 역 안에서는 "
            "잘 되는데 이동 중에 특히 심해요.\n\n"
            "- 2호선 강남~삼성 구간\n"
            "- 9호선 급행 고속터미널~신논현\n"
            "- 신분당선 거의 전 구간\n\n"
            "5G 요금을 내는데 제일 많이 쓰는 시간에 안 터지니 아쉽습니다."
        ),
        "category": "mobile",
        "author": 5,
        "x": None,
        "days_ago": 55.0,
        "votes": 13,
        "stage": "planned",
        "note": "2호선과 9호선 터널 구간 중계기 증설을 하반기에 진행할 예정입니다.",
        "comments": [
            (0, "신분당선은 진짜 심해요. 판교 지나면 거의 안 잡혀요."),
            (None, "신분당선 구간도 측정 자료를 받아 개선 대상에 포함했습니다. 제보 감사합니다."),
            (3, "7호선 청담~뚝섬유원지 한강 구간도 같이 봐주세요."),
        ],
    },
    {
        "title": "Prepaid plan for foreigners who don't have an ARC yet",
        "body": (
            "When I arrived for my master's program I waited almost six weeks for my Alien "
            "Registration Card, and without it I couldn't open a regular line. The prepaid "
            "options in stores were confusing and mostly explained in Korean.\n\n"
            "Please offer a simple prepaid plan that can be opened with just a passport, topped "
            "up in the app with a foreign card, and switched to a monthly plan later **without "
            "changing the number**."
        ),
        "category": "mobile",
        "author": 15,
        "x": None,
        "days_ago": 48.0,
        "votes": 11,
        "stage": "planned",
        "note": "A passport-only prepaid plan with in-app top-ups is planned for the autumn.",
        "comments": [
            (13, "Keeping the same number matters most. Banks and delivery apps all use it."),
            (12, "Please make the top-up page available in English too."),
        ],
    },
    {
        "title": "데이터 쉐어링 회선을 더 늘려주세요",
        "body": (
            "지금 데이터 쉐어링은 2회선까지라 태블릿이랑 스마트워치를 같이 쓰면 하나는 별도 "
            "요금제에 가입해야 합니다.\n\n"
            "노트북용 유심까지 생각하면 최소 3~4회선은 필요해요. 무제한 요금제 사용자는 쉐어링 "
            "회선 추가 요금도 없애주시면 좋겠습니다. 워치 하나 때문에 요금제를 따로 쓰는 건 "
            "부담이 커요."
        ),
        "category": "mobile",
        "author": 9,
        "x": None,
        "days_ago": 3.5,
        "votes": 6,
        "stage": "new",
        "note": None,
        "comments": [
            (5, "갤럭시 워치 쓰는데 저도 같은 고민이에요."),
        ],
    },
    {
        "title": "Let me put my line on hold while I'm abroad for a few months",
        "body": (
            "I go back to Europe for three months every summer. Right now I either keep paying "
            "the full plan or cancel and lose my number, which is tied to my bank and PASS "
            "verification.\n\n"
            "Could you add a cheap hold option, a few thousand won a month, that keeps the number "
            "and still receives SMS so I can log in to Korean sites from abroad?"
        ),
        "category": "mobile",
        "author": 11,
        "x": None,
        "days_ago": 9.0,
        "votes": 5,
        "stage": "new",
        "note": None,
        "comments": [
            (None, "You can suspend a line for up to 90 days, but SMS is off. Leaving this open."),
            (10, "SMS while abroad is exactly what I need for bank verification."),
        ],
    },
    {
        "title": "가족끼리 묶으면 요금 좀 더 싸게 해주세요",
        "body": (
            "@HanbitTelecom 가족 넷이 다 한빛 쓰는데 결합 할인이 생각보다 적네요. 엄마 아빠는 "
            "따로 사셔서 결합도 안 된대요 😢\n\n"
            "오래 쓴 가족 고객 할인 좀 늘려주세요. 동생은 알뜰폰이 훨씬 싸다고 다 같이 옮기자는데 "
            "번호 이동 귀찮아서 버티는 중... 결합 기준이라도 알기 쉽게 알려주세요"
        ),
        "category": "mobile",
        "author": None,
        "x": {
            "handle": "sodam_daily",
            "name": "소담",
            "post_id": "1859304718265530112",
            "lang": "ko",
        },
        "days_ago": 30.0,
        "votes": 2,
        "stage": "duplicate",
        "note": "'가족 결합 요금 할인 확대' 아이디어와 같은 내용이라 그쪽으로 합쳤습니다.",
        "comments": [],
    },
    {
        "title": "5G 안 잡히는 시간만큼 요금을 돌려주세요",
        "body": (
            "지방 출장이 많은데 5G 요금제를 쓰면서 실제로는 절반 넘게 LTE로 씁니다. 5G가 안 잡힌 "
            "시간만큼 요금을 일부 환급하거나 다음 달 요금에서 빼주면 좋겠어요.\n\n"
            "앱에 5G 접속 시간 통계도 나오니까 그걸 기준으로 계산할 수 있지 않을까요? 실내에서는 "
            "거의 안 잡히는데 요금은 똑같이 나가니 억울한 기분이 듭니다."
        ),
        "category": "mobile",
        "author": 3,
        "x": None,
        "days_ago": 90.0,
        "votes": 8,
        "stage": "declined",
        "note": "접속 기록만으로는 공정한 환급 기준을 만들기 어려워 진행하지 않기로 했습니다.",
        "comments": [
            (5, "아쉽네요. 그래도 커버리지 지도는 자세히 공개해주세요."),
            (7, "LTE 우선 모드가 배터리는 덜 닳는데 요금 차이가 너무 커요."),
        ],
    },
    {
        "title": "3년 넘은 공유기는 와이파이6 공유기로 무상 교체해주세요",
        "body": (
            "인터넷 가입한 지 5년째인데 공유기는 처음 받은 그대로입니다. 폰이랑 노트북은 "
            "와이파이6를 지원하는데 공유기 때문에 속도가 안 나와요.\n\n"
            "- 사용 3년 이상이면 무상 교체\n"
            "- 앱에서 신청하고 택배로 받기\n"
            "- 기존 공유기는 반납 박스로 회수\n\n"
            "기사님 방문 일정 잡는 게 제일 번거로워서 택배 교체가 되면 정말 좋겠습니다."
        ),
        "category": "internet",
        "author": 1,
        "x": None,
        "days_ago": 70.0,
        "votes": 12,
        "stage": "planned",
        "note": "3년 이상 쓰신 공유기의 무상 교체를 준비 중입니다. 다음 달에 안내드리겠습니다.",
        "comments": [
            (4, "저희 집 공유기도 2019년 거예요. 택배 교체 대찬성입니다."),
            (8, "저는 직접 연결하기 어려운데 기사님 방문도 선택할 수 있나요?"),
            (None, "네, 택배 교체와 방문 설치 중에서 선택하실 수 있습니다."),
        ],
    },
    {
        "title": "인터넷 장애가 생기면 문자로 바로 알려주세요",
        "body": (
            "며칠 전 저녁에 인터넷이 두 시간 가까이 끊겼는데, 공유기 문제인 줄 알고 껐다 켰다 "
            "하다가 고객센터에 전화하고 나서야 지역 장애라는 걸 알았어요.\n\n"
            "우리 동네에 장애가 생기면 **문자(SMS)**로 바로 알려주고, 복구 예상 시간과 복구 완료 "
            "문자도 보내주세요. 재택근무하는 사람한테는 정말 중요합니다."
        ),
        "category": "internet",
        "author": 2,
        "x": None,
        "days_ago": 100.0,
        "votes": 14,
        "stage": "launched",
        "note": "지역 장애 시 장애 안내와 복구 완료 문자를 자동으로 보내드리고 있습니다.",
        "comments": [
            (6, "지난주에 복구 완료 문자 받았어요. 훨씬 낫네요!"),
            (1, "장애 시간만큼 요금 감면되는 것도 문자에 같이 안내해주세요."),
        ],
    },
    {
        "title": "Show a live outage map on the website",
        "body": (
            "@HanbitTelecom internet down again in Mapo since 8pm. 40 min wait on the support "
            "line just to hear \"we're checking\". Other ISPs have a live outage map, why don't "
            "you?\n\n"
            "A map of known outages by district with an estimated fix time would save everyone a "
            "phone call."
        ),
        "category": "internet",
        "author": None,
        "x": {
            "handle": "jk_in_seoul",
            "name": "James K.",
            "post_id": "1863880012746590208",
            "lang": "en",
        },
        "days_ago": 0.6,
        "votes": 7,
        "stage": "new",
        "note": None,
        "comments": [
            (11, "Same in Yeonnam-dong. All router lights were green, so it was on their side."),
            (None, "Sorry! Mapo was fixed at 10:40pm, and the map idea is with our web team."),
        ],
    },
    {
        "title": "Schedule my internet move in the app when I change apartments",
        "body": (
            "Moving apartments is stressful enough, and moving my home internet took three phone "
            "calls, partly in Korean, just to find an installation slot.\n\n"
            "It would help a lot to:\n\n"
            "- enter the new address and move-in date in the app\n"
            "- see free technician slots and pick one\n"
            "- get a reminder the day before\n\n"
            "The same flow could handle the TV set-top box too."
        ),
        "category": "internet",
        "author": 10,
        "x": None,
        "days_ago": 12.0,
        "votes": 4,
        "stage": "new",
        "note": None,
        "comments": [
            (14, "And please let us reschedule without calling."),
        ],
    },
    {
        "title": "Automatic credit when my speed drops below the guaranteed minimum",
        "body": (
            "My 1 Gbps plan has a guaranteed minimum of 500 Mbps, but to claim anything I have to "
            "run the official speed test five times within 30 minutes and then call support.\n\n"
            "The router already knows the line speed. Why not check it automatically and apply "
            "the credit to the next bill, with a short note explaining why?"
        ),
        "category": "internet",
        "author": 13,
        "x": None,
        "days_ago": 27.0,
        "votes": 10,
        "stage": "under-review",
        "note": "We're testing whether router data is reliable enough for automatic credits.",
        "comments": [
            (11, "Even a prompt in the app after a failed speed test would help."),
            (12, "+1, the five-test rule is painful."),
        ],
    },
    {
        "title": "와이파이 비밀번호를 앱에서 바로 바꾸게 해주세요",
        "body": (
            "@HanbitTelecom 와이파이 비번 하나 바꾸려고 192.168 어쩌고 관리자 페이지 들어가서 "
            "공유기 뒷면 비번 찾고... 이전 세입자가 비번을 알고 있어서 바꾸는 데만 30분 걸림.\n\n"
            "앱에서 버튼 하나로 바꿀 수 있게 해주세요. 연결된 기기 목록도 같이 보여주면 더 좋고요."
        ),
        "category": "internet",
        "author": None,
        "x": {
            "handle": "dev_hyun",
            "name": "현이",
            "post_id": "1863209475610293248",
            "lang": "ko",
        },
        "days_ago": 1.5,
        "votes": 5,
        "stage": "new",
        "note": None,
        "comments": [
            (9, "모르는 기기 차단까지 앱에서 되면 좋겠어요."),
        ],
    },
    {
        "title": "Dark mode for the Hanbit app",
        "body": (
            "I mostly check my data usage and bills at night, and the app is blindingly white. "
            "Almost every other app on my phone follows the system dark mode setting.\n\n"
            "Please add a dark mode that follows the iOS/Android system setting, with an option "
            "to force light or dark in the app settings."
        ),
        "category": "app",
        "author": 10,
        "x": None,
        "days_ago": 95.0,
        "votes": 13,
        "stage": "launched",
        "note": "Dark mode is live in version 7.4. You can change it under Settings > Display.",
        "comments": [
            (12, "Looks great! The bill charts are much easier to read now."),
            (13, "The membership barcode is still on white, which is fine for scanners."),
            (None, "Yes, we kept the barcode on white on purpose so store scanners can read it."),
        ],
    },
    {
        "title": "앱 로그인에 패스키를 지원해주세요",
        "body": (
            "앱을 열 때마다 로그인이 풀려서 아이디, 비밀번호, 문자 인증까지 다시 해야 합니다. "
            "은행 앱들은 이미 **패스키**나 생체 인증으로 바로 들어가지는데요.\n\n"
            "- Face ID나 지문으로 로그인\n"
            "- 기기 바꿀 때 패스키 다시 등록하는 방법 안내\n\n"
            "보안도 비밀번호보다 낫다고 들었어요."
        ),
        "category": "app",
        "author": 6,
        "x": None,
        "days_ago": 35.0,
        "votes": 11,
        "stage": "in-progress",
        "note": "패스키 로그인을 개발 중입니다. 안드로이드에 먼저 적용한 뒤 iOS로 확대합니다.",
        "comments": [
            (0, "아이폰도 빨리 부탁드려요!"),
            (2, "웹사이트에서도 패스키로 로그인되나요?"),
            (None, "웹사이트도 같은 패스키로 로그인할 수 있도록 함께 작업하고 있습니다."),
        ],
    },
    {
        "title": "어르신을 위한 큰 글씨 쉬운 모드를 만들어주세요",
        "body": (
            "일흔이 넘으신 어머니가 요금 확인하려고 앱을 켜시는데, 글씨가 작고 메뉴가 많아서 매번 "
            "저한테 전화하십니다.\n\n"
            "- 글씨와 버튼은 크게\n"
            "- 첫 화면에는 이번 달 요금, 남은 데이터, 고객센터 버튼만\n"
            "- 광고 배너와 이벤트 팝업 없이\n\n"
            "은행 앱의 쉬운 모드처럼 만들어주시면 부모님 세대가 훨씬 편하게 쓰실 것 같아요."
        ),
        "category": "app",
        "author": 8,
        "x": None,
        "days_ago": 45.0,
        "votes": 12,
        "stage": "in-progress",
        "note": "큰 글씨 '쉬운 모드'를 개발 중이며, 어르신 사용성 테스트 후 출시합니다.",
        "comments": [
            (4, "저희 아버지도 똑같으세요. 음성 안내도 있으면 좋겠어요."),
            (None, "사용성 테스트에 참여하실 고객님을 모집 중이니 고객센터로 연락 주세요."),
        ],
    },
    {
        "title": "Home screen widget showing my remaining data",
        "body": (
            "I'm on a 10GB plan and open the app almost every day just to see how much data is "
            "left. A small home screen widget for iOS and Android would save a lot of taps.\n\n"
            "Ideally it shows remaining data, days until the plan resets, and any rollover data "
            "carried over from last month."
        ),
        "category": "app",
        "author": 14,
        "x": None,
        "days_ago": 2.2,
        "votes": 8,
        "stage": "new",
        "note": None,
        "comments": [
            (15, "A lock screen widget on iOS would be even better."),
            (10, "And maybe a warning when I drop under 1GB."),
        ],
    },
    {
        "title": "앱 첫 화면 광고 배너 좀 줄여주세요",
        "body": (
            "@HanbitTelecom 한빛 앱 켜면 팝업 두 개 닫고 배너 세 개 넘겨야 남은 데이터가 보임 "
            "ㅋㅋ 요금 확인하려고 들어간 건데 광고판인 줄...\n\n"
            "첫 화면에는 내 요금이랑 데이터만 보여주고 이벤트는 따로 탭으로 빼주세요 제발. 울 "
            "엄마는 배너 잘못 눌러서 이벤트 페이지에서 못 나오심"
        ),
        "category": "app",
        "author": None,
        "x": {
            "handle": "minsu_ride",
            "name": "민수",
            "post_id": "1864412839201757185",
            "lang": "ko",
        },
        "days_ago": 0.3,
        "votes": 6,
        "stage": "new",
        "note": None,
        "comments": [
            (3, "'오늘 하루 보지 않기' 눌러도 다음 날 또 떠요."),
            (7, "이거 진짜 공감합니다."),
        ],
    },
    {
        "title": "Finish translating the app into English",
        "body": (
            "The app has an English setting, but half the screens still switch back to Korean: "
            "plan details, add-on services, the membership page and most error messages.\n\n"
            "Please finish the translation, or at least show an English summary next to the "
            "Korean text on contract pages. The [plan guide](https://example.com/plans) is only "
            "in Korean too."
        ),
        "category": "app",
        "author": 11,
        "x": None,
        "days_ago": 18.0,
        "votes": 9,
        "stage": "under-review",
        "note": "We're reviewing untranslated screens, starting with plans and error messages.",
        "comments": [
            (15, "Plan names differ between English and Korean, which confuses store staff."),
            (13, "Error messages are the worst. I can't tell if a payment failed or not."),
        ],
    },
    {
        "title": "멤버십 바코드를 잠금화면에서 바로 띄우게 해주세요",
        "body": (
            "편의점이나 카페에서 멤버십 할인을 받으려면 앱 열고, 로그인하고, 메뉴 들어가서 "
            "바코드를 찾아야 해서 계산대 앞에서 뒷사람 눈치가 보입니다.\n\n"
            "잠금화면 위젯이나 애플 월렛, 삼성 월렛에 멤버십 카드를 넣을 수 있으면 좋겠어요. "
            "바코드 화면이 뜰 때 밝기가 자동으로 올라가면 더 좋고요."
        ),
        "category": "app",
        "author": 9,
        "x": None,
        "days_ago": 6.0,
        "votes": 4,
        "stage": "new",
        "note": None,
        "comments": [
            (0, "삼성 월렛 지원 꼭 해주세요."),
        ],
    },
    {
        "title": "종이 청구서 없애고 모바일 청구서를 기본으로 해주세요",
        "body": (
            "매달 종이 청구서가 오는데 뜯어보지도 않고 버립니다. 앱에서 이미 다 확인하거든요.\n\n"
            "신규 가입 때부터 모바일 청구서를 기본으로 하고 종이가 필요한 분만 신청하게 하면 "
            "종이도 아끼고 우편 비용도 줄일 수 있을 것 같아요. 기존 고객도 앱에서 버튼 하나로 "
            "종이 청구서를 끊을 수 있게 해주세요."
        ),
        "category": "billing",
        "author": 1,
        "x": None,
        "days_ago": 115.0,
        "votes": 10,
        "stage": "launched",
        "note": "신규 가입은 모바일 청구서가 기본이며, 기존 고객은 앱에서 바꾸실 수 있습니다.",
        "comments": [
            (8, "저는 종이로 보는 게 편한데 계속 받을 수 있나요?"),
            (None, "네, 종이 청구서는 언제든 앱이나 고객센터에서 다시 신청하실 수 있습니다."),
        ],
    },
    {
        "title": "Itemised monthly bill in English",
        "body": (
            "I've been with Hanbit for two years and still can't read my own bill. The PDF is "
            "Korean only, so every month I run it through a translator to work out what the extra "
            "charges are.\n\n"
            "Please offer the full bill in English, including add-ons, discounts and "
            "micropayments, and let me choose English as the default for email bills."
        ),
        "category": "billing",
        "author": 12,
        "x": None,
        "days_ago": 80.0,
        "votes": 11,
        "stage": "launched",
        "note": "English bills are live. Switch the language under Billing > Bill settings.",
        "comments": [
            (14, "Got my first English bill today. Finally I know what that add-on charge was."),
            (11, "Could you add Chinese and Vietnamese too? Many of my coworkers need them."),
        ],
    },
    {
        "title": "요금 납부일을 직접 고를 수 있게 해주세요",
        "body": (
            "월급날이 25일인데 요금 자동이체가 매달 21일에 빠져서 가끔 잔액 부족으로 미납 문자를 "
            "받습니다.\n\n"
            "카드사처럼 납부일을 5일, 15일, 25일 중에서 고르게 해주시거나, 최소한 앱에서 바꿀 수 "
            "있게 해주세요. 고객센터에 전화해야만 바뀌는 건 너무 불편해요. 미납 문자 받을 때마다 "
            "괜히 신용에 문제 생길까 봐 걱정됩니다."
        ),
        "category": "billing",
        "author": 7,
        "x": None,
        "days_ago": 4.0,
        "votes": 7,
        "stage": "new",
        "note": None,
        "comments": [
            (2, "프리랜서라 말일 납부가 편한데 저도 필요해요."),
            (9, "납부일 바꾸면 그달 요금은 일할 계산되는지도 알려주세요."),
        ],
    },
    {
        "title": "Accept PayPal for monthly bill payments",
        "body": (
            "Many of us don't have a Korean credit card in our first months, and bank auto-debit "
            "needs a Korean account. PayPal would be the easiest way to pay with a card from "
            "home.\n\n"
            "Even a one-off PayPal payment in the app would help when an automatic payment fails."
        ),
        "category": "billing",
        "author": 13,
        "x": None,
        "days_ago": 60.0,
        "votes": 3,
        "stage": "declined",
        "note": "No PayPal for now, but foreign Visa, Mastercard and UnionPay cards already work.",
        "comments": [
            (15, "Good to know foreign cards work. That wasn't obvious on the payment page."),
            (None, "Thanks, we'll make the list of accepted cards clearer on that screen."),
        ],
    },
    {
        "title": "휴대폰 소액결제 한도 기본값을 0원으로 해주세요",
        "body": (
            "지난달 어머니가 택배 조회 문자 링크를 눌렀다가 소액결제로 30만 원이 빠져나갔습니다. "
            "소액결제를 한 번도 안 쓰셨는데 한도가 최대로 열려 있었어요.\n\n"
            "신규 가입 때는 한도를 **0원**으로 시작하고, 필요한 사람만 앱에서 본인 인증 후 올리게 "
            "해주세요. 스미싱 피해를 줄이는 데 큰 도움이 될 거예요."
        ),
        "category": "billing",
        "author": 2,
        "x": None,
        "days_ago": 15.0,
        "votes": 12,
        "stage": "under-review",
        "note": "신규 가입 시 소액결제 기본 한도를 낮추는 방안을 검토하고 있습니다.",
        "comments": [
            (8, "저도 확인해보니 한도가 열려 있었네요. 바로 막았어요."),
            (5, "결제 시도할 때마다 앱 푸시 알림도 오면 좋겠습니다."),
            (None, "지금도 앱의 '소액결제 한도 설정'에서 바로 0원으로 바꾸실 수 있습니다."),
        ],
    },
    {
        "title": "약정 끝나기 한 달 전에 알림 보내주세요",
        "body": (
            "@HanbitTelecom 선택약정 할인 끝난 줄도 모르고 4개월째 할인 없이 냈네요... 끝나기 "
            "전에 문자 한 통만 왔어도 바로 재약정했을 텐데.\n\n"
            "알림톡이든 문자든 상관없으니 한 달 전에는 꼭 알려주세요. 재약정 버튼까지 같이 "
            "보내주면 더 좋고요. 놓친 할인 4개월치는 어디서 돌려받나요..."
        ),
        "category": "billing",
        "author": None,
        "x": {
            "handle": "yuna_0412",
            "name": "유나",
            "post_id": "1862741093857266176",
            "lang": "ko",
        },
        "days_ago": 7.0,
        "votes": 5,
        "stage": "new",
        "note": None,
        "comments": [
            (6, "저도 똑같은 일 겪었어요. 이건 진짜 필요합니다."),
            (None, "불편을 드려 죄송합니다. 알림 시점을 앞당기는 방안을 담당 부서에 전달했습니다."),
        ],
    },
    {
        "title": "Live chat support until 10pm and on weekends",
        "body": (
            "Live chat closes at 6pm on weekdays and isn't available on weekends, which is "
            "exactly when most of us have time to sort out account issues. The chatbot can't do "
            "much beyond FAQ links.\n\n"
            "- Extend chat hours to 10pm on weekdays\n"
            "- Open chat on Saturdays, even with shorter hours\n"
            "- Keep the chat history so I don't have to explain everything again"
        ),
        "category": "support",
        "author": 10,
        "x": None,
        "days_ago": 50.0,
        "votes": 12,
        "stage": "planned",
        "note": "From next quarter chat runs until 10pm on weekdays and opens on Saturdays.",
        "comments": [
            (14, "English-speaking agents on weekends would be a game changer."),
            (12, "Please keep the history when the agent changes."),
            (None, "Noted. With the new system, chat history carries over between agents."),
        ],
    },
    {
        "title": "상담원 연결까지 ARS 단계가 너무 많아요",
        "body": (
            "@HanbitTelecom 114 전화하면 1번 누르고 3번 누르고 생년월일 누르고 또 2번... "
            "상담원까지 가는 데만 4분 걸렸어요.\n\n"
            '다 듣고 나면 마지막에 "상담원 연결은 0번"이라고 알려줌. 처음부터 바로 '
            "안내해주세요. 보이는 ARS도 앱 로그인부터 해야 해서 더 오래 걸림"
        ),
        "category": "support",
        "author": None,
        "x": {
            "handle": "bada_jh",
            "name": "바다",
            "post_id": "1860127745093857281",
            "lang": "ko",
        },
        "days_ago": 24.0,
        "votes": 10,
        "stage": "under-review",
        "note": "ARS 메뉴를 줄이고 상담원 연결 안내를 첫 단계로 옮기는 방안을 검토하고 있습니다.",
        "comments": [
            (1, "보이는 ARS로 앱에서 메뉴 누르는 게 그나마 빨라요."),
            (8, "나이 드신 분들은 중간에 끊기는 경우도 많아요."),
        ],
    },
    {
        "title": "상담이 끝나면 처리 내용을 문자로 요약해서 보내주세요",
        "body": (
            "요금제 변경 상담을 받았는데 전화를 끊고 나니 할인이 언제부터 적용된다고 했는지 "
            "기억이 안 나더라고요. 다시 전화해서 처음부터 또 설명했습니다.\n\n"
            "상담이 끝나면 처리 내용, 적용 날짜, 상담 번호를 문자나 앱 알림으로 보내주세요. "
            "나중에 문제가 생겼을 때 근거로도 쓸 수 있고요."
        ),
        "category": "support",
        "author": 4,
        "x": None,
        "days_ago": 10.0,
        "votes": 6,
        "stage": "new",
        "note": None,
        "comments": [
            (3, "상담 번호만 있어도 다음 통화 때 훨씬 편하겠네요."),
        ],
    },
    {
        "title": "Offer a callback instead of making us wait on hold",
        "body": (
            "@HanbitTelecom 35 minutes on hold on the English line today, then the call dropped. "
            "Please just let me leave my number and call me back when an agent is free. Every "
            "bank here already does this."
        ),
        "category": "support",
        "author": None,
        "x": {
            "handle": "mattinbusan",
            "name": "Matt in Busan",
            "post_id": "1863524809176340480",
            "lang": "en",
        },
        "days_ago": 0.9,
        "votes": 8,
        "stage": "new",
        "note": None,
        "comments": [
            (10, "And text me 5 minutes before the callback so I can step out of a meeting."),
        ],
    },
    {
        "title": "청각장애인도 혼자 상담받을 수 있게 해주세요",
        "body": (
            "청각장애가 있는 동생 대신 매번 제가 고객센터에 전화를 해줘야 합니다. 채팅 상담은 "
            "운영 시간이 짧고, 본인 확인 단계에서는 결국 전화를 요구해요.\n\n"
            "- 수어 영상 상담 연결\n"
            "- 본인 확인은 문자나 앱 인증으로\n\n"
            "청각장애인 고객이 적지 않을 텐데, 동생이 누구 도움 없이 직접 처리할 수 있게 해주세요."
        ),
        "category": "support",
        "author": 6,
        "x": None,
        "days_ago": 14.0,
        "votes": 7,
        "stage": "new",
        "note": None,
        "comments": [
            (None, "평일 9~18시에 수어 영상 상담을 운영 중인데 안내가 부족했습니다. 죄송합니다."),
            (0, "수어 상담이 있는 줄 몰랐어요. 앱에 잘 보이게 해주세요."),
        ],
    },
    {
        "title": "매장 대기 시간을 앱에서 미리 확인하고 싶어요",
        "body": (
            "토요일에 기기 변경하러 강남역 매장에 갔다가 1시간 넘게 기다렸습니다. 근처 다른 "
            "매장은 한산했다고 나중에 들었어요.\n\n"
            "앱에서 매장별 대기 인원과 예상 시간을 보여주고, 번호표를 미리 뽑아두면 순서가 다가올 "
            "때 알림을 주면 좋겠습니다. 식당 원격 줄서기처럼요. 그러면 기다리는 동안 근처에서 "
            "다른 볼일도 볼 수 있으니까요."
        ),
        "category": "stores",
        "author": 5,
        "x": None,
        "days_ago": 33.0,
        "votes": 10,
        "stage": "under-review",
        "note": "직영 매장부터 대기 현황 표시와 원격 번호표 시범 운영을 검토하고 있습니다.",
        "comments": [
            (7, "방문 예약 기능도 있으면 좋겠어요."),
            (2, "대리점도 같이 되면 좋겠는데 어렵겠죠?"),
        ],
    },
    {
        "title": "Book a store visit with an English-speaking staff member",
        "body": (
            "When I upgraded my phone I went to two stores before finding someone who could "
            "explain the contract in English. The staff were kind, but we spent an hour on a "
            "translation app.\n\n"
            "Please mark stores with English-speaking staff in the store finder and let us book a "
            "time slot with them in advance."
        ),
        "category": "stores",
        "author": 15,
        "x": None,
        "days_ago": 5.0,
        "votes": 6,
        "stage": "new",
        "note": None,
        "comments": [
            (13, "Chinese and Vietnamese too, please."),
            (11, "The store finder doesn't even show opening hours in English right now."),
        ],
    },
    {
        "title": "휴대폰 당일 배송 지역을 넓혀주세요",
        "body": (
            "온라인으로 기기 변경을 하면 서울 일부 지역만 당일 배송이 되고 경기도는 2~3일씩 "
            "걸립니다. 폰이 고장 나서 바꾸는 건데 며칠씩 폰 없이 지내기가 힘들어요.\n\n"
            "수원, 성남, 고양 같은 수도권 도시라도 당일 배송이나 가까운 매장 픽업을 고를 수 있게 "
            "해주세요. 주문할 때 예상 도착 시간도 정확하게 알려주시면 좋겠습니다."
        ),
        "category": "stores",
        "author": 3,
        "x": None,
        "days_ago": 19.0,
        "votes": 5,
        "stage": "new",
        "note": None,
        "comments": [
            (9, "매장 픽업이 되면 개통까지 한 번에 끝나서 좋겠네요."),
        ],
    },
    {
        "title": "Pick up a replacement SIM at a convenience store",
        "body": (
            "Ordering a replacement SIM online takes two days by courier, and someone has to be "
            "home to receive it. Most of us live next to a CU or GS25 that's open all night.\n\n"
            "Let me order the SIM in the app, collect it at a convenience store with a code, and "
            "activate it myself with passport or ARC verification."
        ),
        "category": "stores",
        "author": 14,
        "x": None,
        "days_ago": 26.0,
        "votes": 3,
        "stage": "new",
        "note": None,
        "comments": [
            (15, "Very useful when your SIM dies on a Friday night."),
        ],
    },
    {
        "title": "Get a trade-in quote online before visiting a store",
        "body": (
            "@HanbitTelecom why do I have to go to a store just to find out what my old Galaxy is "
            "worth? Let me enter the model and condition online and get a quote I can use when I "
            "come in. Walked 20 minutes to be told it was worth half what I expected."
        ),
        "category": "stores",
        "author": None,
        "x": {
            "handle": "lena_codes",
            "name": "Lena",
            "post_id": "1861502938475610624",
            "lang": "en",
        },
        "days_ago": 11.0,
        "votes": 4,
        "stage": "new",
        "note": None,
        "comments": [
            (12, "A quote that stays valid for a week would be great."),
        ],
    },
    {
        "title": "기기 변경할 때 데이터 옮기기도 매장에서 도와주세요",
        "body": (
            "새 폰으로 바꿨는데 사진, 카카오톡 대화, 공동인증서 옮기는 걸 혼자 하다가 반나절이 "
            "걸렸습니다. 매장에서는 개통만 해주고 나머지는 직접 하라고 하시더라고요.\n\n"
            "- 개통할 때 데이터 이전까지 도와주기\n"
            "- 오래 걸리면 맡겨두고 나중에 찾으러 오기\n\n"
            "유료라도 괜찮으니 선택할 수 있으면 좋겠습니다."
        ),
        "category": "stores",
        "author": 8,
        "x": None,
        "days_ago": 38.0,
        "votes": 4,
        "stage": "new",
        "note": None,
        "comments": [
            (4, "카톡 백업 복원은 정말 어려워요. 부모님 폰 바꿔드릴 때마다 고생해요."),
        ],
    },
]

# One open campaign (IdeaStorm's Storm Sessions; docs/campaigns.md) and the ideas customers
# submitted to it: its hashtag also imports posts that carry it.
CAMPAIGN: dict[str, Any] = {
    "slug": "5g-ideas",
    "title": "5G 아이디어 모음: 더 빠른 5G를 함께 만들어요",
    "description": (
        "5G 서비스에 바라는 점을 알려 주세요. 요금제, 커버리지, 앱 기능 무엇이든 좋습니다.\n\n"
        "- 가장 많은 표를 받은 아이디어는 팀이 먼저 검토합니다.\n"
        "- X, 블루스카이, 마스토돈에서 **#5G아이디어** 태그를 달고 저희 계정을 언급해도 됩니다.\n\n"
        "Tell us what would make our 5G better: plans, coverage, app features."
    ),
    "hashtag": "#5G아이디어",
    "category": "mobile",
    "opened_days_ago": 3,
    "closes_in_days": 14,
}
CAMPAIGN_IDEAS: list[dict[str, Any]] = [
    {
        "title": "지하철 터널 구간 5G 끊김 줄여 주세요",
        "body": "출퇴근길 2호선 터널에서 5G가 LTE로 자주 바뀝니다. 터널 구간 중계기를 늘려 주세요.",
        "author": 1,
        "votes": 9,
    },
    {
        "title": "5G 요금제 남은 데이터 가족과 나누기",
        "body": "다 못 쓴 5G 데이터를 가족 회선에 선물할 수 있으면 좋겠어요.",
        "author": 4,
        "votes": 6,
    },
    {
        "title": "Show 5G coverage on a live map in the app",
        "body": "A map of where 5G works (and where it does not yet) would help me pick a plan.",
        "author": 11,
        "votes": 4,
    },
]
