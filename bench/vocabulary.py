"""Words the seeder builds incidents from: real IT faults of a utility's IT department, in Chinese and English.

Each service lists the things that break in it (objects) and how they break
(symptoms); descriptions add when, what the user tried, the error text, the
scope and an asset tag or host name (rare words, so searches have both common
and rare terms to find).
"""

from __future__ import annotations

# (code, name, name_en, kind, weight, categories, objects, symptoms)
# categories: (code, name, name_en); objects and symptoms: (zh, en)
GENERIC_SYMPTOMS = [
    ("无法登录", "cannot log in"),
    ("登录后白屏", "shows a blank page after login"),
    ("运行缓慢", "is very slow"),
    ("报错", "shows an error"),
    ("页面打不开", "page does not open"),
    ("卡死无响应", "hangs and stops responding"),
    ("连接超时", "connection timed out"),
    ("账号被锁定", "account is locked"),
    ("密码过期", "password has expired"),
    ("权限不足", "permission denied"),
    ("闪退", "crashes on start"),
    ("数据不一致", "data does not match"),
    ("保存失败", "fails to save"),
    ("附件上传失败", "attachment upload fails"),
    ("证书过期", "certificate has expired"),
]

SERVICES = [
    (
        "sg186", "营销业务应用系统", "Marketing business system (SG186)", "production", 20,
        [("operation", "操作事件", "Operation"), ("business", "业务事件", "Business"),
         ("user", "用户处理", "User handling"), ("sysadmin", "系统管理", "System administration"),
         ("data", "数据问题", "Data problem"), ("demand", "新需求", "New requirement"), ("bug", "程序BUG", "Program bug")],
        [("SG186营销系统", "SG186 marketing system"), ("抄表模块", "meter reading module"),
         ("电费核算", "billing run"), ("工单流转", "work order routing"), ("客户档案", "customer records"),
         ("业扩报装", "new connection module"), ("收费终端", "payment terminal"), ("用电检查", "inspection module")],
        [("抄表数据未上传", "meter readings were not uploaded"), ("电费计算错误", "computes the wrong bill"),
         ("工单无法派发", "cannot dispatch the work order"), ("打印发票失败", "fails to print the invoice")],
    ),
    (
        "erp", "ERP系统", "ERP (SAP)", "erp", 16,
        [("business", "业务问题", "Business"), ("report", "报表问题", "Report"),
         ("data", "数据问题", "Data"), ("account", "账号权限问题", "Account and permission")],
        [("SAP GUI", "SAP GUI"), ("ME21N采购订单", "ME21N purchase order"), ("FB60发票过账", "FB60 invoice posting"),
         ("月结", "month-end closing"), ("物料主数据", "material master data"), ("成本中心报表", "cost centre report"),
         ("MIGO收货", "MIGO goods receipt"), ("资产卡片", "asset card")],
        [("过账失败", "posting fails"), ("报表数据为空", "report returns no data"),
         ("事务码无权限", "no authorisation for the transaction"), ("物料凭证冲销失败", "cannot reverse the material document")],
    ),
    (
        "mail", "邮件系统", "Mail", "mail", 10,
        [("client", "客户端问题", "Client"), ("delivery", "收发问题", "Delivery"), ("account", "账号问题", "Account")],
        [("Outlook", "Outlook"), ("Foxmail", "Foxmail"), ("企业邮箱", "company mailbox"), ("邮件网关", "mail gateway"),
         ("通讯录", "address book"), ("手机邮箱", "mobile mail")],
        [("无法发送邮件", "cannot send mail"), ("收不到外部邮件", "does not receive external mail"),
         ("邮箱空间已满", "mailbox is full"), ("附件被拦截", "attachment is blocked")],
    ),
    (
        "network", "网络", "Network", "network", 12,
        [("lan", "局域网", "LAN"), ("wan", "广域网", "WAN"), ("wifi", "无线网络", "Wireless"), ("vpn", "VPN", "VPN")],
        [("VPN", "VPN"), ("无线网络", "Wi-Fi"), ("核心交换机", "core switch"), ("内网", "intranet"),
         ("DNS解析", "DNS resolution"), ("防火墙策略", "firewall rule"), ("营业厅专线", "branch leased line")],
        [("频繁掉线", "drops frequently"), ("丢包严重", "loses many packets"), ("网速很慢", "is very slow"),
         ("无法访问外网", "cannot reach the internet")],
    ),
    (
        "desktop", "桌面终端", "Desktop", "desktop", 18,
        [("hardware", "硬件故障", "Hardware"), ("software", "软件问题", "Software"), ("printer", "打印外设", "Printing")],
        [("打印机", "printer"), ("电脑", "PC"), ("U盘", "USB drive"), ("显示器", "monitor"),
         ("Windows更新", "Windows update"), ("杀毒软件", "antivirus"), ("扫描仪", "scanner"), ("笔记本电脑", "laptop")],
        [("卡纸", "paper jam"), ("蓝屏", "blue screen"), ("无法识别", "not recognised"), ("开机黑屏", "black screen on boot"),
         ("无法打印", "cannot print")],
    ),
    (
        "oa", "协同办公系统", "Office automation (OA)", "other", 8,
        [("workflow", "流程问题", "Workflow"), ("document", "公文问题", "Documents")],
        [("OA流程", "OA workflow"), ("公文审批", "document approval"), ("移动OA", "mobile OA"), ("电子签章", "e-signature")],
        [("待办不显示", "to-do items do not show"), ("审批卡在节点", "approval is stuck at a step")],
    ),
    (
        "finance", "财务管控系统", "Financial control", "other", 5,
        [("business", "业务问题", "Business"), ("report", "报表问题", "Report")],
        [("财务管控系统", "financial control system"), ("报销单", "expense claim"), ("预算编制", "budget planning"),
         ("资金支付", "payment run")],
        [("金额校验失败", "amount check fails"), ("凭证生成失败", "voucher generation fails")],
    ),
    (
        "hr", "人力资源系统", "Human resources", "other", 3,
        [("business", "业务问题", "Business"), ("account", "账号权限问题", "Account and permission")],
        [("人资系统", "HR system"), ("考勤", "attendance"), ("工资条", "payslip"), ("培训平台", "training portal")],
        [("打卡记录缺失", "clock-in records are missing"), ("工资条查询不到", "payslip cannot be found")],
    ),
    (
        "video", "视频会议", "Video conferencing", "other", 3,
        [("terminal", "终端问题", "Terminal"), ("meeting", "会议保障", "Meeting support")],
        [("视频会议", "video conference"), ("会议室终端", "meeting room terminal"), ("华为视讯", "Huawei video system")],
        [("没有声音", "has no sound"), ("画面卡顿", "video stutters"), ("无法入会", "cannot join the meeting")],
    ),
    (
        "portal", "统一门户", "Portal and sign-on", "other", 3,
        [("access", "访问问题", "Access")],
        [("门户网站", "portal"), ("统一认证", "single sign-on"), ("身份令牌", "identity token")],
        [("单点登录失败", "single sign-on fails"), ("令牌验证码错误", "token code is rejected")],
    ),
    (
        "datacenter", "数据中心", "Data centre", "other", 2,
        [("server", "服务器", "Server"), ("database", "数据库", "Database"), ("storage", "存储备份", "Storage and backup")],
        [("应用服务器", "application server"), ("Oracle数据库", "Oracle database"), ("存储阵列", "storage array"),
         ("备份任务", "backup job"), ("WebLogic中间件", "WebLogic middleware"), ("虚拟化平台", "virtualisation platform")],
        [("CPU使用率过高", "CPU usage is too high"), ("表空间不足", "tablespace is full"), ("磁盘告警", "disk alarm"),
         ("备份失败", "backup fails")],
    ),
]

WHEN_ZH = ["今天上午开始", "从昨天下午起", "刚才", "本周一开始", "月底结账期间", "系统升级后", "更换电脑后", "每天早上"]
WHEN_EN = ["since this morning", "since yesterday afternoon", "just now", "since Monday", "during month-end closing",
           "after the system upgrade", "after the PC was replaced", "every morning"]

ERROR_ZH = [
    "报错信息：ORA-{n5}", "提示“HTTP 500 内部服务器错误”", "错误代码 0x{hex}", "提示“连接超时，请稍后重试”",
    "SAP 消息号 M7{n3}", "提示“用户名或密码错误”", "提示“证书不受信任”", "提示“您没有权限访问此页面”",
    "提示“网络连接已断开”", "提示“磁盘空间不足”", "报错 java.lang.NullPointerException",
]
ERROR_EN = [
    "error ORA-{n5}", "the message \"HTTP 500 Internal Server Error\"", "error code 0x{hex}",
    "the message \"Connection timed out, try again later\"", "SAP message M7{n3}", "the message \"Wrong user name or password\"",
    "the message \"Certificate not trusted\"", "the message \"You are not allowed to open this page\"",
    "the message \"Network disconnected\"", "the message \"Not enough disk space\"", "java.lang.NullPointerException",
]

TRIED_ZH = [
    "已尝试重启电脑和清理浏览器缓存，问题仍然存在。", "重新登录后仍然不行。", "同事的电脑上正常。",
    "已按知识库文章操作，未解决。", "换了一台电脑也一样。", "用户称之前从未出现过。", "",
]
TRIED_EN = [
    "Restarting the PC and clearing the browser cache did not help.", "Logging in again did not help.",
    "It works on a colleague's PC.", "The knowledge base steps did not solve it.", "Another PC shows the same.",
    "The user says it never happened before.", "",
]

SCOPE_ZH = ["单个用户", "整个科室约{n2}人", "全市营业厅", "财务部全体", "本楼层所有用户", "全省用户"]
SCOPE_EN = ["one user", "the whole office, about {n2} people", "every service hall in the city",
            "the whole finance department", "everyone on this floor", "users across the province"]

ASSET_ZH = ["资产编号 PC-{n6}，IP 10.{a}.{b}.{c}。", "主机名 {host}-{n3}。", "打印机型号 HP LaserJet M{n3}。", "工号 {n6}。", ""]
ASSET_EN = ["Asset tag PC-{n6}, IP 10.{a}.{b}.{c}.", "Host name {host}-{n3}.", "Printer model HP LaserJet M{n3}.",
            "Staff number {n6}.", ""]
HOSTS = ["app-srv", "db-ora", "web", "sap-pi", "mail-gw", "fs", "ad-dc", "esb", "bi-rpt", "vdi"]

RESOLUTION_ZH = [
    "重置密码后恢复正常。", "清理浏览器缓存并重新安装控件后解决。", "更换硒鼓后打印正常。", "重启应用服务后恢复。",
    "调整用户权限角色后可以正常使用。", "更换网线并重新配置端口后恢复。", "联系厂商打补丁后解决。",
    "扩容表空间后恢复。", "重新下发证书后恢复。", "指导用户按正确步骤操作，问题解决。",
]
RESOLUTION_EN = [
    "Password reset; works again.", "Cleared the browser cache and reinstalled the plug-in.",
    "Replaced the toner; printing works.", "Restarted the application service.", "Adjusted the user's roles.",
    "Replaced the cable and reconfigured the switch port.", "Vendor patch applied.", "Extended the tablespace.",
    "Reissued the certificate.", "Walked the user through the right steps.",
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红文辉建国志新春梅海燕晨宇浩然子涵欣怡雨轩博文"
DEPARTMENTS_ZH = ["营销部", "财务部", "运检部", "调控中心", "办公室", "人资部", "物资部", "客户服务中心", "供电所"]

PROVINCES = [
    ("js", "江苏省电力公司", "Jiangsu", ["南京", "苏州", "无锡", "常州", "徐州", "南通", "扬州", "盐城"]),
    ("zj", "浙江省电力公司", "Zhejiang", ["杭州", "宁波", "温州", "绍兴", "嘉兴", "金华", "台州"]),
    ("sd", "山东省电力公司", "Shandong", ["济南", "青岛", "烟台", "潍坊", "临沂", "淄博", "济宁"]),
    ("hn", "河南省电力公司", "Henan", ["郑州", "洛阳", "新乡", "南阳", "许昌", "商丘"]),
    ("hb", "湖北省电力公司", "Hubei", ["武汉", "宜昌", "襄阳", "荆州", "黄冈"]),
    ("sc", "四川省电力公司", "Sichuan", ["成都", "绵阳", "德阳", "宜宾", "南充"]),
]
CITY_EN = {
    "南京": "Nanjing", "苏州": "Suzhou", "无锡": "Wuxi", "常州": "Changzhou", "徐州": "Xuzhou", "南通": "Nantong",
    "扬州": "Yangzhou", "盐城": "Yancheng", "杭州": "Hangzhou", "宁波": "Ningbo", "温州": "Wenzhou", "绍兴": "Shaoxing",
    "嘉兴": "Jiaxing", "金华": "Jinhua", "台州": "Taizhou", "济南": "Jinan", "青岛": "Qingdao", "烟台": "Yantai",
    "潍坊": "Weifang", "临沂": "Linyi", "淄博": "Zibo", "济宁": "Jining", "郑州": "Zhengzhou", "洛阳": "Luoyang",
    "新乡": "Xinxiang", "南阳": "Nanyang", "许昌": "Xuchang", "商丘": "Shangqiu", "武汉": "Wuhan", "宜昌": "Yichang",
    "襄阳": "Xiangyang", "荆州": "Jingzhou", "黄冈": "Huanggang", "成都": "Chengdu", "绵阳": "Mianyang",
    "德阳": "Deyang", "宜宾": "Yibin", "南充": "Nanchong",
}
