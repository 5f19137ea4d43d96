// Every string the kiosk shows, in Chinese (the default) and English: one table, so a wording
// change is one edit and both languages stay in step. `{name}` placeholders are filled by t().
export type Lang = 'zh' | 'en';

const table = {
  title: { zh: '人脸识别告知与同意', en: 'Face recognition: notice and consent' },
  switchTo: { zh: 'English', en: '中文' },
  switchLabel: { zh: 'Switch to English', en: '切换到中文' },
  device: { zh: '设备：{device}', en: 'Device: {device}' },
  loading: { zh: '正在加载……', en: 'Loading…' },

  // Setup (the operator's screen)
  setupTitle: { zh: '设置本机', en: 'Set up this kiosk' },
  setupText: {
    zh: '请工作人员粘贴绑定到本台自助机设备的设备密钥（fgk_ 开头）。密钥只保存在本浏览器的本次会话中。',
    en: 'Staff: paste the device key bound to this kiosk device (it starts with fgk_). It is kept only in this browser session.',
  },
  keyLabel: { zh: '设备密钥', en: 'Device key' },
  save: { zh: '保存并开始', en: 'Save and start' },
  keyWrongRole: {
    zh: '这个密钥不是设备密钥（角色为 {role}）。自助机需要绑定到自助机设备的设备密钥。',
    en: 'This key is not a device key (its role is {role}). The kiosk needs a device key bound to a kiosk device.',
  },

  // Start
  startTitle: { zh: '您好', en: 'Welcome' },
  startText: {
    zh: '使用人脸之前，我们会先告诉您如何处理您的人脸信息，并单独征求您的同意。您随时可以改用其他方式，不收费、不多等。',
    en: 'Before any face is used, we tell you how your face data is handled and ask for your separate consent. You can always use another method instead: no fee, no extra wait.',
  },
  subjectLabel: { zh: '工号或卡号', en: 'Staff number or card number' },
  subjectHint: { zh: '例如 S1', en: 'For example S1' },
  purposeLabel: { zh: '用途', en: 'Purpose' },
  verifyFace: { zh: '刷脸验证', en: 'Verify with my face' },
  enrolFace: { zh: '登记我的人脸', en: 'Register my face' },
  otherMethod: { zh: '使用其他方式', en: 'Use another method' },
  withdrawStart: { zh: '撤回我的同意', en: 'Withdraw my consent' },
  needSubject: { zh: '请先输入您的工号或卡号。', en: 'Please type your staff number or card number first.' },

  // Notice (REQ N1, N2, A3)
  noticeTitle: { zh: '告知书（第 {version} 版）', en: 'Notice (version {version})' },
  noticeIntro: {
    zh: '在采集任何人脸之前，请阅读以下内容：用途、方式、保存期限以及其他方式。',
    en: 'Before any face is captured, please read this: the purpose, the method, how long data is kept, and the other methods.',
  },
  largePrint: { zh: '大字版', en: 'Large print' },
  normalPrint: { zh: '普通字号', en: 'Normal print' },
  listen: { zh: '朗读告知书', en: 'Read the notice aloud' },
  stopListening: { zh: '停止朗读', en: 'Stop reading' },
  voiceUnavailable: {
    zh: '本机无法朗读。以下是朗读版文字，您也可以请工作人员为您读出：',
    en: 'This kiosk cannot read aloud. Here is the spoken version as text; staff can also read it to you:',
  },
  voiceText: { zh: '朗读版文字', en: 'Spoken version' },
  acknowledge: { zh: '我已阅读告知书', en: 'I have read the notice' },
  back: { zh: '返回', en: 'Back' },
  alternativesAre: { zh: '其他方式：{list}（同样快捷，不收费）', en: 'Other methods: {list} (same speed, no fee)' },
  field_processor: { zh: '处理者', en: 'Processor' },
  field_contact: { zh: '联系方式', en: 'Contact' },
  field_purpose: { zh: '用途', en: 'Purpose' },
  field_method: { zh: '方式', en: 'Method' },
  'field_data kinds': { zh: '数据种类', en: 'Data kinds' },
  'field_storage period': { zh: '保存期限', en: 'Storage period' },
  'field_why face': { zh: '为何使用人脸及影响', en: 'Why face, and the impact' },
  field_alternatives: { zh: '其他方式', en: 'Alternatives' },
  field_rights: { zh: '您的权利', en: 'Your rights' },

  // Consent (REQ C1, C5, C7)
  consentTitle: { zh: '您是否同意？', en: 'Do you agree?' },
  consentText: {
    zh: '这是单独的同意，只针对“{purpose}”这一用途，与其他条款无关。请选择一项；不选择不会继续。',
    en: 'This is a separate consent, only for the purpose “{purpose}”, not part of any other terms. Choose one option; nothing is chosen for you.',
  },
  consentLegend: { zh: '允许的期限', en: 'How long you allow it' },
  optOnce: { zh: '仅本次', en: 'Only this time' },
  optOnceExpiry: {
    zh: '只用一次，24 小时内有效（至 {until}）；据此登记的人脸模板最迟在那时删除。',
    en: 'One use, valid for 24 hours (until {until}); a face template made with it is deleted by then.',
  },
  optWhile: { zh: '使用期间允许', en: 'Allow while in use' },
  optWhileExpiry: {
    zh: '只在本次采集期间有效，采集结束即失效（最长 60 秒）；据此登记的人脸模板在 24 小时内删除。',
    en: 'Only during this capture; it ends when the capture ends (at most 60 seconds); a face template made with it is deleted within 24 hours.',
  },
  optAlways: { zh: '始终允许', en: 'Always allow' },
  optAlwaysExpiry: {
    zh: '直到您撤回为止，最长 {days} 天（至 {until}）；随时可在本机一步撤回。',
    en: 'Until you withdraw it, at most {days} days (until {until}); withdraw in one step at this kiosk at any time.',
  },
  yes: { zh: '同意', en: 'Yes, I agree' },
  no: { zh: '不同意', en: 'No, I do not agree' },
  chooseOption: { zh: '请先选择一个期限，再点“同意”。', en: 'Please choose one option before “Yes, I agree”.' },
  quietTitle: { zh: '我们不会再次询问', en: 'We will not ask you again yet' },
  quietText: {
    zh: '您之前拒绝了这一用途。在 {until} 之前我们不会再次请求您的同意。您可以使用其他方式。',
    en: 'You said no to this purpose before. We will not ask for your consent again before {until}. You can use another method.',
  },
  consentAnyway: { zh: '我自己决定现在同意', en: 'I want to consent now, on my own' },

  // Refusal (REQ C6, C7)
  refusedTitle: { zh: '已记录您的拒绝', en: 'Your “no” is recorded' },
  refusedText: {
    zh: '我们不会采集您的人脸。在 {until} 之前不会再次询问您。拒绝不影响您通行：请使用其他方式。',
    en: 'Your face will not be captured. We will not ask you again before {until}. Saying no does not block you: use another method.',
  },
  done: { zh: '完成', en: 'Done' },

  // Capture (REQ D1, D2)
  captureTitleEnrol: { zh: '登记人脸：请看摄像头', en: 'Registering your face: look at the camera' },
  captureTitleMatch: { zh: '验证：请看摄像头', en: 'Verifying: look at the camera' },
  captureText: {
    zh: '摄像头只在本次采集期间开启，{seconds} 秒内结束。照片用完即删除。',
    en: 'The camera is on only for this capture and stops within {seconds} seconds. The photo is deleted right after use.',
  },
  startCamera: { zh: '开始', en: 'Start' },
  cameraLabel: { zh: '摄像头画面', en: 'Camera view' },
  hintStarting: { zh: '正在打开摄像头……', en: 'Opening the camera…' },
  hintNoFace: { zh: '没有看到人脸：请正对摄像头，站在标记位置。', en: 'No face seen: face the camera and stand on the marked spot.' },
  hintTurn: { zh: '请把脸转向摄像头。', en: 'Please turn your face to the camera.' },
  hintLight: { zh: '光线不足：请站到更亮的地方。', en: 'More light is needed: please move to a brighter spot.' },
  hintCloser: { zh: '请再靠近一点。', en: 'Please come a little closer.' },
  hintStill: { zh: '请保持不动。', en: 'Please hold still.' },
  hintUncover: { zh: '请摘下口罩或墨镜。', en: 'Please take off a mask or sunglasses.' },
  hintChecking: { zh: '正在检查……', en: 'Checking…' },
  timeLeft: { zh: '剩余 {seconds} 秒', en: '{seconds} s left' },
  uploadLabel: { zh: '或上传一张照片', en: 'Or upload a photo' },
  noCamera: {
    zh: '无法打开摄像头。您可以上传一张照片，或使用其他方式。',
    en: 'The camera cannot be opened. You can upload a photo, or use another method.',
  },
  cancel: { zh: '取消', en: 'Cancel' },

  // Results
  enrolledTitle: { zh: '人脸已登记', en: 'Your face is registered' },
  matchTitle: { zh: '验证通过', en: 'Verified: it is you' },
  noMatchTitle: { zh: '未能验证', en: 'Not verified' },
  noMatchText: { zh: '人脸与登记的不一致。请使用其他方式，或重新验证。', en: 'The face does not match the registered one. Use another method, or try again.' },
  timeoutTitle: { zh: '采集已结束', en: 'The capture has ended' },
  timeoutText: {
    zh: '在规定时间内没有结果，摄像头已关闭。您可以重新开始或使用其他方式。',
    en: 'No result within the time allowed; the camera is off. You can start again or use another method.',
  },
  restedOn: { zh: '结果依据', en: 'What the result rested on' },
  decision: { zh: '结论', en: 'Decision' },
  quality: { zh: '照片质量', en: 'Photo quality' },
  liveness: { zh: '活体检测', en: 'Liveness check' },
  livenessNone: { zh: '本用途不要求', en: 'not required for this purpose' },
  templateUntil: { zh: '模板最迟删除时间', en: 'Template deleted at the latest' },
  consentRef: { zh: '同意编号', en: 'Consent number' },
  verifyNow: { zh: '现在刷脸验证', en: 'Verify with my face now' },
  tryAgain: { zh: '重新验证', en: 'Try again' },
  showReceipt: { zh: '查看同意回执', en: 'Show my consent receipt' },
  q_good: { zh: '良好', en: 'good' },
  q_fair: { zh: '一般', en: 'fair' },
  q_poor: { zh: '较差', en: 'poor' },
  d_match: { zh: '一致', en: 'match' },
  d_no_match: { zh: '不一致', en: 'no match' },
  d_enrolled: { zh: '已登记', en: 'registered' },

  // Alternative (REQ A2, A3, D7)
  altTitle: { zh: '使用其他方式', en: 'Another method' },
  altChoose: { zh: '请选择一种方式：', en: 'Choose a method:' },
  altDoneTitle: { zh: '已为您改用其他方式', en: 'Another method it is' },
  altDoneText: {
    zh: '摄像头不会开启，不会采集您的人脸。编号 {id}。',
    en: 'The camera stays off and no face of yours is captured. Reference {id}.',
  },
  altNext: { zh: '下一步：{next}', en: 'Next: {next}' },
  'alt_staff-card': { zh: '员工卡', en: 'staff card' },
  'altnext_staff-card': { zh: '请把员工卡放到读卡器上，或交给工作人员查验。', en: 'Hold your staff card to the reader, or show it to the staff.' },
  alt_pin: { zh: '密码', en: 'PIN' },
  altnext_pin: { zh: '请在键盘上输入您的密码。', en: 'Type your PIN on the keypad.' },
  alt_card: { zh: '卡片', en: 'card' },
  altnext_card: { zh: '请把卡片放到读卡器上。', en: 'Hold your card to the reader.' },
  alt_qr: { zh: '二维码', en: 'QR code' },
  altnext_qr: { zh: '请向扫码器出示您的二维码。', en: 'Show your QR code to the scanner.' },
  altnext_other: { zh: '请按工作人员的指引完成。', en: 'The staff will guide you through it.' },

  // Withdrawal and receipt (REQ C2, C4)
  withdrawTitle: { zh: '撤回同意', en: 'Withdraw your consent' },
  withdrawText: {
    zh: '一步完成：您对该用途的同意立即结束，您的人脸模板立即删除。撤回前的处理仍然合法。',
    en: 'One step: your consent for this purpose ends now and your face templates are deleted now. Processing before the withdrawal stays lawful.',
  },
  withdrawNow: { zh: '立即撤回', en: 'Withdraw now' },
  withdrawnTitle: { zh: '已撤回', en: 'Withdrawn' },
  withdrawnText: {
    zh: '已撤回 {consents} 项同意，已删除 {templates} 个人脸模板。',
    en: '{consents} consent(s) withdrawn, {templates} face template(s) deleted.',
  },
  receiptTitle: { zh: '同意回执', en: 'Consent receipt' },
  r_id: { zh: '回执编号', en: 'Receipt number' },
  r_subject: { zh: '本人编号', en: 'Your id' },
  r_purpose: { zh: '用途', en: 'Purpose' },
  r_controller: { zh: '处理者', en: 'Processor' },
  r_contact: { zh: '联系方式', en: 'Contact' },
  r_option: { zh: '期限选项', en: 'Option' },
  r_method: { zh: '同意方式', en: 'How given' },
  r_given: { zh: '同意时间', en: 'Given at' },
  r_expires: { zh: '到期时间', en: 'Expires at' },
  r_withdrawn: { zh: '撤回时间', en: 'Withdrawn at' },
  r_notice: { zh: '告知书版本', en: 'Notice version' },
  r_withdraw: { zh: '如何撤回', en: 'How to withdraw' },
  opt_once: { zh: '仅本次', en: 'only this time' },
  opt_while_in_use: { zh: '使用期间允许', en: 'allow while in use' },
  opt_always: { zh: '始终允许', en: 'always allow' },
  none: { zh: '无', en: 'none' },

  // Errors
  errorTitle: { zh: '出了点问题', en: 'Something went wrong' },
  errorRule: { zh: '依据的规定：{id}', en: 'Rule: {id}' },
  errorNetwork: { zh: '无法连接服务器。请重试，或使用其他方式。', en: 'The server cannot be reached. Try again, or use another method.' },
  startOver: { zh: '重新开始', en: 'Start over' },
} as const;

export type Key = keyof typeof table;

let current: Lang = 'zh';

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

// The string `key` in the current language with {placeholders} filled from `vars`.
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const s: string = table[key][current];
  return s.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// A key that may not exist (e.g. a notice field or an alternative named by the operator).
export function tMaybe(key: string): string | undefined {
  const row = (table as Record<string, { zh: string; en: string }>)[key];
  return row ? row[current] : undefined;
}

// A time in the current language, e.g. 2026年12月7日 09:00 / Dec 7, 2026, 9:00 AM.
export function formatTime(when: string | number | Date): string {
  const d = typeof when === 'number' ? new Date(when * 1000) : new Date(when);
  if (Number.isNaN(d.getTime())) return String(when);
  return d.toLocaleString(current === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
