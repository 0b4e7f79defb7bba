export default {
  title: '用户手册',
  short: '帮助',
  pageLink: '本页的使用说明',
  chapters: '章节',
  contents: '本章目录',
  notFound: '没有名为「{chapter}」的章节，已为您打开手册首页。',
  chineseOnly: '手册以中文编写。',
};
