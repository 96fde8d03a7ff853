"""Names for the synthetic province and the demo's children, made up from short, locally
written lists of common syllables (no real person's data, no real place on purpose).

Every name is a pure function of a running number, so the generator's random draws (and so its
figures) do not change with the names: place ``i`` is the ``(97 i mod 576)``-th pair of a first
and a second syllable (24 × 24 = 576 distinct place names, spread out); child ``i`` a surname and
one or two given characters chosen by multiplying ``i`` by numbers prime to the list lengths;
a guardian's phone likewise, with a prefix no real number has (:func:`phone`).
"""

from __future__ import annotations

PLACE_FIRST = "东西南北青白石金清长平安宁丰兴新永福和泰云松柳桃"
PLACE_SECOND = "山河湖桥溪岭川原林塘湾阳江城峰台田坪洲沙港坡口庄"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾"
)
GIVEN_BOY = "浩宇轩子博文俊杰然睿泽一晨阳辰铭昊宸逸航乐安宁远嘉豪明朗"
GIVEN_GIRL = "欣怡梓涵诗雨可馨悦佳琪思若萱彤语嘉璐婉晴月灵书瑶静雅芸菲"
NURSERY_NAMES = ("苗苗", "阳光", "小太阳", "星星", "彩虹", "童心", "向日葵", "小树苗")


def place(index: int) -> str:
    """The ``index``-th made-up place name (two characters; distinct for 576 indices)."""
    pair = (index * 97) % (len(PLACE_FIRST) * len(PLACE_SECOND))
    return PLACE_FIRST[pair % len(PLACE_FIRST)] + PLACE_SECOND[pair // len(PLACE_FIRST)]


def city(index: int) -> str:
    return place(index) + "市"


def county(index: int) -> str:
    return place(index) + "县"


def township(index: int) -> str:
    return place(index) + "镇"


def clinic(township_name: str) -> str:
    """The township's child-health clinic (its health centre)."""
    return township_name + "卫生院"


def nursery(township_name: str, index: int) -> str:
    """A childcare facility of the township."""
    return f"{township_name}{NURSERY_NAMES[index % len(NURSERY_NAMES)]}托育园"


def child(index: int, sex: str) -> str:
    """A made-up child's name: a surname and one or two given characters (by ``sex``)."""
    given = GIVEN_BOY if sex == "M" else GIVEN_GIRL
    name = SURNAMES[(index * 37) % len(SURNAMES)] + given[(index * 7) % len(given)]
    if index % 3:
        name += given[(index * 11 + 5) % len(given)]
    return name


PHONE_PREFIX = "100"
"""Demo phone numbers start with 100: no Chinese mobile number (13x-19x) or landline with its
area code (0xx) does, so a made-up number cannot ring a real person."""


def phone(index: int) -> str | None:
    """Child ``index``'s made-up guardian phone, ``100-xxxx-xxxx`` (distinct for 10^8
    indices: 7919 is prime to 10); every eighth child has none on file."""
    if index % 8 == 0:
        return None
    digits = f"{(index * 7919) % 10**8:08d}"
    return f"{PHONE_PREFIX}-{digits[:4]}-{digits[4:]}"
