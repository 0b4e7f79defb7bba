export default {
  title: 'User manual',
  short: 'Help',
  pageLink: 'How to use this page',
  chapters: 'Chapters',
  contents: 'In this chapter',
  notFound: 'There is no chapter "{chapter}"; the manual\'s first page is shown instead.',
  chineseOnly: 'The manual is written in Chinese, the language of the app\'s users.',
};
